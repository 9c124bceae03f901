// Flags of the commands that open service keys (`fulgor serve`, `fulgor ct serve`): --key-passphrase-file FILE
// (never the passphrase itself on the command line) and --strict-key-permissions.
import type { KeyOpening } from '../server/open-keys.js';
import { bool, flag, str, type Flags } from './flags.js';

export const KEY_OPENING_FLAGS = {
  'key-passphrase-file': str('FILE', 'file holding the passphrase of encrypted key files (else FULGOR_KEY_PASSPHRASE)'),
  'strict-key-permissions': bool('refuse to start when a key file is readable by group or others (else a warning)'),
};

export function keyOpeningFlags(flags: Flags): Omit<KeyOpening, 'logger'> {
  const passphraseFile = flag(flags, 'key-passphrase-file');
  return {
    ...(passphraseFile ? { passphraseFile } : {}),
    ...(flags['strict-key-permissions'] === true ? { strictPermissions: true } : {}),
  };
}
