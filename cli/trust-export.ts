// `fulgor trust export`: writes ctfe.pub, fulcio_chain.pem and trusted_root.json for verifiers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKeys, spkiDer, spkiPem } from '../config/keys-dir.js';
import { certToPem, toPem } from '../lib/pem.js';
import { trustedRoot } from '../trust/trusted-root.js';
import { flag, type Flags } from './flags.js';
import { ctLogPublicKeyFlag } from './ct-flags.js';

export async function trustExportCommand(flags: Flags): Promise<void> {
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  const out = flag(flags, 'out');
  if (!out) throw new Error('--out OUTDIR is required');
  const keys = await loadKeys(keysDir, { create: false });
  mkdirSync(out, { recursive: true });
  const ctKey = ctLogPublicKeyFlag(flags);
  writeFileSync(join(out, 'ctfe.pub'), ctKey ? toPem(ctKey, 'PUBLIC KEY') : spkiPem(keys.ctKey));
  writeFileSync(join(out, 'fulcio_chain.pem'), keys.caChain.map((c) => certToPem(c)).join(''));
  const root = trustedRoot({
    caChain: keys.caChain,
    caUrl: flag(flags, 'ca-url') ?? 'http://127.0.0.1:8080',
    // An external log (--ct-log-url) is described by its own key; the companion log by the one in the keys dir.
    ctLogSpki: ctKey ?? spkiDer(keys.ctKey),
    ctLogUrl: flag(flags, 'ct-log-url') ?? 'http://127.0.0.1:6962',
  });
  writeFileSync(join(out, 'trusted_root.json'), JSON.stringify(root, null, 2) + '\n');
  process.stdout.write(`wrote ${['ctfe.pub', 'fulcio_chain.pem', 'trusted_root.json'].map((f) => join(out, f)).join(', ')}\n`);
}
