// Why a key could not be used, in words an operator can act on. Start-up code prints the message and exits 2;
// it never carries a PIN or a passphrase, only where they came from.

export class KeyError extends Error {
  override readonly name = 'KeyError';
}
