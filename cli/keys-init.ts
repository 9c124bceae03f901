// `fulgor keys init`: creates any missing development keys in a keys directory, then exits (used by compose so
// that the CA and the log never race to create them).
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { loadKeys } from '../config/keys-dir.js';
import type { Command } from './command.js';
import { flag, str, type Flags } from './flags.js';

export async function keysInitCommand(flags: Flags): Promise<void> {
  const dir = flag(flags, 'keys-dir') as string;
  const created = await createMissingDevKeys(dir);
  loadKeys(dir); // what was there already must be readable too
  process.stdout.write(created.length ? `created ${created.join(', ')} in ${dir}\n` : `${dir} already holds every key\n`);
}

export const KEYS_INIT_COMMAND: Command = {
  name: 'keys init',
  summary: 'create any missing development keys in a keys directory (never for real signing)',
  flags: { 'keys-dir': str('DIR', 'the keys directory', 'keys-dev') },
  run: keysInitCommand,
};
