// `fulgor config check`: validates a whole identity config file and lists every problem with its location.
import type { Flags } from './flags.js';

export async function configCheckCommand(flags: Flags): Promise<void> {
  void flags;
  throw new Error('fulgor config check is not available yet');
}
