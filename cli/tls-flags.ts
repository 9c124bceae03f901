// TLS flags: `--tls-cert-file F --tls-key-file F` for the CA port (`fulgor serve`), `--ct-tls-cert-file F
// --ct-tls-key-file F` for the CT log port (`fulgor serve`'s companion log and `fulgor ct serve`). Both of a pair or
// neither.
import type { TlsFiles } from '../lib/tls-files.js';
import { flag, type Flags } from './flags.js';

/** The pair named by `--{prefix}tls-cert-file` and `--{prefix}tls-key-file`, or undefined when neither is given. */
export function tlsFlags(flags: Flags, prefix: '' | 'ct-'): TlsFiles | undefined {
  const certFile = flag(flags, `${prefix}tls-cert-file`);
  const keyFile = flag(flags, `${prefix}tls-key-file`);
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new Error(`--${prefix}tls-cert-file and --${prefix}tls-key-file go together: give both (the certificate chain and its key, PEM)`);
  return { certFile, keyFile };
}
