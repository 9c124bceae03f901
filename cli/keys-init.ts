// `fulgor keys init`: creates any missing development keys in a keys directory, then exits (used by compose so
// that the CA and the log never race to create them).
import { loadKeys } from '../config/keys-dir.js';
import { flag, type Flags } from './flags.js';

export async function keysInitCommand(flags: Flags): Promise<void> {
  const dir = flag(flags, 'keys-dir') ?? 'keys-dev';
  const keys = await loadKeys(dir, { create: true });
  process.stdout.write(keys.created.length ? `created ${keys.created.join(', ')} in ${dir}\n` : `${dir} already holds every key\n`);
}
