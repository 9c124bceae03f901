// `fulgor keys init`: creates any missing development keys in a keys directory, then exits (used by compose so
// that the CA and the log never race to create them).
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { loadKeys } from '../config/keys-dir.js';
import { flag, type Flags } from './flags.js';

export async function keysInitCommand(flags: Flags): Promise<void> {
  const dir = flag(flags, 'keys-dir') ?? 'keys-dev';
  const created = await createMissingDevKeys(dir);
  loadKeys(dir); // what was there already must be readable too
  process.stdout.write(created.length ? `created ${created.join(', ')} in ${dir}\n` : `${dir} already holds every key\n`);
}
