// TLS flags: `--tls-cert-file F --tls-key-file F` for the CA port (`fulgor serve`), `--ct-tls-cert-file F
// --ct-tls-key-file F` for the CT log port (`fulgor serve`'s companion log and `fulgor ct serve`). Both of a pair or
// neither.
import type { TlsFiles } from '../lib/tls-files.js';
import { flag, str, type Flags } from './flags.js';

/** `fulgor serve`'s CA port. */
export const TLS_FLAGS = {
  'tls-cert-file': str('PEM-FILE', "HTTPS on the CA port: the certificate chain (re-read on SIGHUP); with --tls-key-file"),
  'tls-key-file': str('PEM-FILE', "the CA port's TLS private key (PEM; re-read on SIGHUP)"),
};
/** The CT log port (`serve`'s companion log, `ct serve`). */
export const CT_TLS_FLAGS = {
  'ct-tls-cert-file': str('PEM-FILE', "HTTPS on the CT log port: the certificate chain (re-read on SIGHUP); with --ct-tls-key-file"),
  'ct-tls-key-file': str('PEM-FILE', "the CT log port's TLS private key (PEM; re-read on SIGHUP)"),
};

/** The pair named by `--{prefix}tls-cert-file` and `--{prefix}tls-key-file`, or undefined when neither is given. */
export function tlsFlags(flags: Flags, prefix: '' | 'ct-'): TlsFiles | undefined {
  const certFile = flag(flags, `${prefix}tls-cert-file`);
  const keyFile = flag(flags, `${prefix}tls-key-file`);
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new Error(`--${prefix}tls-cert-file and --${prefix}tls-key-file go together: give both (the certificate chain and its key, PEM)`);
  return { certFile, keyFile };
}
