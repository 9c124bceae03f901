// `fulgor trust export`: writes ctfe.pub, fulcio_chain.pem and trusted_root.json for verifiers, and
// signing_config.json for signing clients.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKeys, type KeyMaterial } from '../config/keys-dir.js';
import { consoleLogger } from '../lib/log.js';
import { certToPem, toPem } from '../lib/pem.js';
import { signingConfig } from '../trust/signing-config.js';
import { trustedRoot } from '../trust/trusted-root.js';
import { flag, type Flags } from './flags.js';
import { missingCtLogKeyMessage } from '../server/serve.js';
import { openKey } from '../server/open-keys.js';
import { ctLogPublicKeyFlag } from './ct-flags.js';
import { keyOpeningFlags } from './key-flags.js';

/** The companion log's public key: ctlog.pub.pem, else read from the log's key (which may be in a token). */
async function companionLogSpki(keys: KeyMaterial, keysDir: string, flags: Flags): Promise<Buffer> {
  if (keys.ctPublicKey) return keys.ctPublicKey;
  if (!keys.ctKey) throw new Error(`${keysDir} holds no CT log key or ctlog.pub.pem; give --ct-log-url and --ct-log-public-key for an external log`);
  const signer = await openKey(keys.ctKey, 'CT log', { logger: consoleLogger(), ...keyOpeningFlags(flags) });
  await signer.close();
  return signer.spki;
}

export async function trustExportCommand(flags: Flags): Promise<void> {
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  const out = flag(flags, 'out');
  if (!out) throw new Error('--out OUTDIR is required');
  const ctKey = ctLogPublicKeyFlag(flags);
  const ctLogUrl = flag(flags, 'ct-log-url');
  // An external log is described by its own key, never by the companion log's.
  if (ctLogUrl && !ctKey) throw new Error(missingCtLogKeyMessage(ctLogUrl));
  const keys = loadKeys(keysDir);
  const ctLogSpki = ctKey ?? (await companionLogSpki(keys, keysDir, flags));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'ctfe.pub'), toPem(ctLogSpki, 'PUBLIC KEY'));
  writeFileSync(join(out, 'fulcio_chain.pem'), keys.caChain.map((c) => certToPem(c)).join(''));
  const caUrl = flag(flags, 'ca-url') ?? 'http://127.0.0.1:8080';
  const root = trustedRoot({
    caChain: keys.caChain,
    caUrl,
    // An external log (--ct-log-url) is described by its own key; the companion log by the one in the keys dir.
    ctLogSpki,
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
