// The trusted root's `timestampAuthorities` entry for a running Fulgor's own timestamp authority (served on its CA
// port at /api/v1/timestamp): the TSA certificate, its chain and the root, valid from the TSA certificate's
// notBefore. A small test-side builder; `fulgor trust export` builds the exported one.
import { X509Certificate } from 'node:crypto';
import type { RunningFulgor } from '../../server/serve.js';

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function timestampAuthorityFor(f: Pick<RunningFulgor, 'caUrl' | 'caChain' | 'tsaChain'>) {
  if (!f.tsaChain?.length) throw new Error('this Fulgor runs no timestamp authority');
  const root = f.caChain[f.caChain.length - 1]!;
  const leaf = new X509Certificate(f.tsaChain[0]!);
  const name = Object.fromEntries(leaf.subject.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return {
    subject: { organization: name['O'] as string, commonName: name['CN'] as string },
    uri: `${f.caUrl}/api/v1/timestamp`,
    certChain: { certificates: [...f.tsaChain, root].map((c) => ({ rawBytes: c.toString('base64') })) },
    validFor: { start: rfc3339(new Date(leaf.validFrom)) },
  };
}
