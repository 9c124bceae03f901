// `fulgor trust export`: everything verifiers, signers and admission controllers need, from the keys directory
// (see trust/export.ts for the files). URLs that clients will use come from flags; a default written in their
// place is said on stderr, never silently.
import { join } from 'node:path';
import { KEY_FILES, loadKeys, loadTsaChain, type KeyMaterial } from '../config/keys-dir.js';
import { LEAF_LIFETIME_SECONDS } from '../ca/authority.js';
import { consoleLogger } from '../lib/log.js';
import { openKey } from '../server/open-keys.js';
import { KEY_OPENING_FLAGS, keyOpeningFlags } from './key-flags.js';
import { missingCtLogKeyMessage } from '../server/serve.js';
import { exportTrust, EXPORT_FILES } from '../trust/index.js';
import type { Command } from './command.js';
import { CT_LOG_URL_FLAGS, ctLogPublicKeyFlag } from './ct-flags.js';
import { durationFlag, flag, str, type Flags } from './flags.js';

const DEFAULT_CA_URL = 'http://127.0.0.1:8080';
const DEFAULT_CT_LOG_URL = 'http://127.0.0.1:6962';

/** The timestamp URL under a CA URL, as `fulgor serve` answers it. */
export const timestampUrlFor = (caUrl: string) => `${caUrl.replace(/\/+$/, '')}/api/v1/timestamp`;

/** The companion log's public key: ctlog.pub.pem, else read from the log's key (which may be in a token). */
async function companionLogSpki(keys: KeyMaterial, keysDir: string, flags: Flags): Promise<Buffer> {
  if (keys.ctPublicKey) return keys.ctPublicKey;
  if (!keys.ctKey) throw new Error(`${keysDir} holds no CT log key or ctlog.pub.pem; give --ct-log-url and --ct-log-public-key for an external log`);
  const signer = await openKey(keys.ctKey, 'CT log', { logger: consoleLogger(), ...keyOpeningFlags(flags) });
  await signer.close();
  return signer.spki;
}

export async function trustExportCommand(flags: Flags): Promise<void> {
  const keysDir = flag(flags, 'keys-dir') as string;
  const out = flag(flags, 'out');
  if (!out) throw new Error('--out OUTDIR is required');
  const ctKey = ctLogPublicKeyFlag(flags);
  const ctLogUrlFlag = flag(flags, 'ct-log-url');
  // An external log is described by its own key, never by the companion log's.
  if (ctLogUrlFlag && !ctKey) throw new Error(missingCtLogKeyMessage(ctLogUrlFlag));
  const tsaUrlFlag = flag(flags, 'tsa-url');
  const issuer = flag(flags, 'identity-issuer');
  const subjectRegExp = flag(flags, 'identity-subject-regexp');
  if (subjectRegExp !== undefined) new RegExp(subjectRegExp); // a broken expression fails here, not in the cluster
  const tufExpiresMs = durationFlag(flags, 'tuf-expires') as number;
  for (const [name, url] of [['ca-url', flag(flags, 'ca-url')], ['ct-log-url', ctLogUrlFlag], ['tsa-url', tsaUrlFlag]] as const)
    if (url !== undefined && !URL.canParse(url)) throw new Error(`--${name} must be an absolute URL (got ${JSON.stringify(url)})`);

  const keys = loadKeys(keysDir);
  const tsaChain = loadTsaChain(keysDir);
  if (tsaUrlFlag && !tsaChain)
    throw new Error(`--tsa-url needs the timestamp authority's certificate chain in ${join(keysDir, KEY_FILES.tsaCert)} (create it with "fulgor keys init")`);

  const caUrl = flag(flags, 'ca-url') ?? DEFAULT_CA_URL;
  const ctLogUrl = ctLogUrlFlag ?? DEFAULT_CT_LOG_URL;
  const notices: string[] = [];
  if (!flag(flags, 'ca-url'))
    notices.push(`no --ca-url: wrote the default CA URL ${caUrl}${tsaChain && !tsaUrlFlag ? ` and timestamp URL ${timestampUrlFor(caUrl)}` : ''}; pass the URL clients will use`);
  if (!ctLogUrlFlag) notices.push(`no --ct-log-url: wrote the default CT log URL ${ctLogUrl}; pass the URL clients will use`);
  if (!tsaChain)
    notices.push(
      `no ${join(keysDir, KEY_FILES.tsaCert)}: exported no timestamp authority, so without Rekor a signature verifies only while its 10-minute certificate is valid (create the TSA with "fulgor keys init")`,
    );
  if (!issuer || !subjectRegExp)
    notices.push('the Kubernetes policies accept any identity this CA certified: narrow them with --identity-issuer ISS --identity-subject-regexp RE');

  const result = await exportTrust({
    out,
    caChain: keys.caChain,
    retiredCas: keys.retired,
    certificateLifetimeMs: LEAF_LIFETIME_SECONDS * 1000,
    caUrl,
    // An external log (--ct-log-url) is described by its own key; the companion log by the one in the keys dir.
    ctLogSpki: ctKey ?? (await companionLogSpki(keys, keysDir, flags)),
    ctLogUrl,
    ...(tsaChain ? { timestampAuthority: { chain: tsaChain, url: tsaUrlFlag ?? timestampUrlFor(caUrl) } } : {}),
    tufKeysDir: flag(flags, 'tuf-keys-dir') ?? join(keysDir, 'tuf'),
    tufExpiresMs,
    identity: { ...(issuer ? { issuer } : {}), ...(subjectRegExp ? { subjectRegExp } : {}) },
    now: new Date(),
  });
  for (const n of notices) process.stderr.write(`fulgor trust export: ${n}\n`);
  for (const k of result.createdTufKeys) process.stderr.write(`fulgor trust export: created TUF role key ${k} (keep it: later exports must be signed by it)\n`);
  const v = result.tuf;
  process.stdout.write(
    `wrote ${result.files.map((f) => join(out, f)).join(', ')}\n` +
      `TUF repository ${join(out, EXPORT_FILES.tuf)}: root v${v.root}, targets v${v.targets}, snapshot v${v.snapshot}, timestamp v${v.timestamp}\n`,
  );
}

export const TRUST_EXPORT_COMMAND: Command = {
  name: 'trust export',
  summary: "write what verifiers, signers and admission controllers need (trusted_root.json, signing config, TUF repository, ...)",
  flags: {
    'keys-dir': str('DIR', 'the keys directory to export', 'keys-dev'),
    out: str('OUTDIR', 'where to write the files (required)'),
    'ca-url': str('URL', `the CA URL clients will use (without it ${DEFAULT_CA_URL} is written, and said)`),
    ...CT_LOG_URL_FLAGS,
    'tsa-url': str('URL', 'the timestamp URL clients will use (default: CA-URL/api/v1/timestamp)'),
    'tuf-keys-dir': str('DIR', 'the TUF role keys (created when missing; default KEYS-DIR/tuf)'),
    'tuf-expires': str('DURATION', 'how long the TUF metadata stays valid (s, m, h, d or y)', '365d'),
    'identity-issuer': str('URL', 'narrow the exported Kubernetes policies to this OIDC issuer'),
    'identity-subject-regexp': str('RE', 'and to subjects matching this regular expression'),
    ...KEY_OPENING_FLAGS,
  },
  notes: [`Without --ct-log-url, the companion log at ${DEFAULT_CT_LOG_URL} is described with the keys dir's key.`],
  run: trustExportCommand,
};
