// `fulgor explain`: which issuer and mapping a token (or a claims file) matches, every policy verdict, and the SAN
// and extensions the certificate would carry, without issuing anything.
import type { Flags } from './flags.js';

export async function explainCommand(flags: Flags): Promise<void> {
  void flags;
  throw new Error('fulgor explain is not available yet');
}
