// Flags of the commands that open service keys (`fulgor serve`, `fulgor ct serve`): --key-passphrase-file FILE
// (never the passphrase itself on the command line) and --strict-key-permissions.
import type { KeyOpening } from '../server/open-keys.js';
import { flag, type Flags } from './flags.js';

export function keyOpeningFlags(flags: Flags): Omit<KeyOpening, 'logger'> {
  const passphraseFile = flag(flags, 'key-passphrase-file');
  return {
    ...(passphraseFile ? { passphraseFile } : {}),
    ...(flags['strict-key-permissions'] === true ? { strictPermissions: true } : {}),
  };
}
