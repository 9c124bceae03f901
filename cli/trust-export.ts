// `fulgor trust export`: writes ctfe.pub, fulcio_chain.pem and trusted_root.json for verifiers, and
// signing_config.json for signing clients.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKeys, spkiDer, spkiPem } from '../config/keys-dir.js';
import { certToPem, toPem } from '../lib/pem.js';
import { signingConfig } from '../trust/signing-config.js';
import { trustedRoot } from '../trust/trusted-root.js';
import { flag, type Flags } from './flags.js';
import { missingCtLogKeyMessage } from '../server/serve.js';
import { ctLogPublicKeyFlag } from './ct-flags.js';

export async function trustExportCommand(flags: Flags): Promise<void> {
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  const out = flag(flags, 'out');
  if (!out) throw new Error('--out OUTDIR is required');
  const ctKey = ctLogPublicKeyFlag(flags);
  const ctLogUrl = flag(flags, 'ct-log-url');
  // An external log is described by its own key, never by the companion log's.
  if (ctLogUrl && !ctKey) throw new Error(missingCtLogKeyMessage(ctLogUrl));
  const keys = loadKeys(keysDir);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'ctfe.pub'), ctKey ? toPem(ctKey, 'PUBLIC KEY') : spkiPem(keys.ctKey));
  writeFileSync(join(out, 'fulcio_chain.pem'), keys.caChain.map((c) => certToPem(c)).join(''));
  const caUrl = flag(flags, 'ca-url') ?? 'http://127.0.0.1:8080';
  const root = trustedRoot({
    caChain: keys.caChain,
    caUrl,
    // An external log (--ct-log-url) is described by its own key; the companion log by the one in the keys dir.
    ctLogSpki: ctKey ?? spkiDer(keys.ctKey),
    ctLogUrl: ctLogUrl ?? 'http://127.0.0.1:6962',
  });
  writeFileSync(join(out, 'trusted_root.json'), JSON.stringify(root, null, 2) + '\n');
  const signing = signingConfig({
    caUrl,
    validFrom: new Date(root.certificateAuthorities[0]!.validFor.start),
    operator: new URL(caUrl).host,
  });
  writeFileSync(join(out, 'signing_config.json'), JSON.stringify(signing, null, 2) + '\n');
  const files = ['ctfe.pub', 'fulcio_chain.pem', 'trusted_root.json', 'signing_config.json'];
  process.stdout.write(`wrote ${files.map((f) => join(out, f)).join(', ')}\n`);
}
