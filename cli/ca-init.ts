// `fulgor ca init`: the key ceremony for a production CA. Makes a root (its key only under --root-out, meant to go
// offline), an issuing CA signed by it (key in the keys directory, encrypted, or inside a PKCS#11 token), and the
// CT log key; writes the keys directory as the server reads it and prints both fingerprints and what to distribute.
// Never overwrites a key; on failure the files it made are removed again.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { createIssuingCaCertificate, createRootCertificate } from '../ca/ca-profile.js';
import { checkImportedChain } from '../ca/chain-check.js';
import { encodeName } from '../ca/name.js';
import { createTsaCertificate } from '../ca/tsa-profile.js';
import { KEY_FILES } from '../config/keys-dir.js';
import { certToPem } from '../lib/pem.js';
import { keySigner, type Signer } from '../lib/signer.js';
import { generateSoftwareKey, writePrivateKeyFile, type KeyAlgorithm, type SecretOptions } from '../signer/index.js';
import {
  addDuration,
  ALGORITHM_FLAG,
  algorithmFlag,
  CA_COMMON_FLAGS,
  CA_KEY_FLAG,
  CA_NAME_FLAGS,
  CT_LOG_KEY_FLAG,
  createCtLogKey,
  createKeyAt,
  CreatedFiles,
  describeCertificate,
  KEY_SLOTS,
  passphraseFlag,
  refuseExisting,
  requiredFlag,
  slotPaths,
} from './ca-keys.js';
import type { Command } from './command.js';
import { flag, str, type Flags } from './flags.js';

/** Certificates start a few minutes in the past, so that a verifier whose clock is slightly behind accepts them. */
export const BACKDATE_MS = 5 * 60_000;

/** `--org` and the common names; the development CA's name is refused (it marks a keys directory as development). */
export function caNames(flags: Flags): { org: string; issuingName: string; rootName: string } {
  const org = flag(flags, 'org') ?? 'Fulgor';
  const issuingName = flag(flags, 'common-name') ?? `${org} Issuing CA`;
  const rootName = flag(flags, 'root-common-name') ?? `${org} Root CA`;
  if ([org, issuingName, rootName].some((n) => /fulgor development/i.test(n)))
    throw new Error('"Fulgor Development" names the development CA (fulgor keys init); choose another --org or --common-name');
  return { org, issuingName, rootName };
}

/**
 * Makes the issuing CA key for `dir` (where `caKeyUri` points, else the slot's file) and its certificate signed by
 * the root; the chain passes the same checks as an imported one. `ca init` and `ca rotate --root-out` use it; the
 * caller writes the certificate.
 */
export async function createSignedIssuingCa(o: {
  dir: string;
  caKeyUri: string | undefined;
  algorithm: KeyAlgorithm;
  secret: { secrets: SecretOptions; passphrase?: string };
  created: CreatedFiles;
  subject: Buffer;
  root: Buffer;
  rootSigner: Signer;
  validity: { notBefore: Date; notAfter: Date };
}): Promise<{ issuing: Buffer; where: string }> {
  const issuingKey = await createKeyAt(o.dir, KEY_SLOTS.issuing, o.caKeyUri, o.algorithm, o.secret, o.created);
  let issuing: Buffer;
  try {
    issuing = await createIssuingCaCertificate({
      subject: o.subject,
      spki: issuingKey.signer.spki,
      issuerCert: o.root,
      issuerSigner: o.rootSigner,
      validity: o.validity,
    });
  } finally {
    await issuingKey.close();
  }
  checkImportedChain({ chain: [issuing], root: o.root, issuingSpki: issuingKey.signer.spki, issuingKey: issuingKey.where, now: new Date() });
  return { issuing, where: issuingKey.where };
}

export async function caInitCommand(flags: Flags): Promise<void> {
  const keysDir = requiredFlag(flags, 'keys-dir', 'DIR');
  const rootOut = requiredFlag(flags, 'root-out', 'DIR');
  const rel = relative(resolve(keysDir), resolve(rootOut));
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)))
    throw new Error(`--root-out ${rootOut} is inside --keys-dir ${keysDir}: the root key must never sit with the serving keys`);
  const { org, issuingName, rootName } = caNames(flags);
  const algorithm = algorithmFlag(flags);
  const caKeyUri = flag(flags, 'ca-key');
  const ctKeyUri = flag(flags, 'ct-log-key');
  const tsaKeyUri = flag(flags, 'tsa-key');
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - BACKDATE_MS);
  const rootValidity = { notBefore: now, notAfter: addDuration(now, flag(flags, 'root-validity') as string, 'root-validity') };
  const issuingValidity = { notBefore: now, notAfter: addDuration(now, flag(flags, 'intermediate-validity') as string, 'intermediate-validity') };
  if (issuingValidity.notAfter > rootValidity.notAfter)
    throw new Error('--intermediate-validity is longer than --root-validity: the issuing CA cannot outlive its root');
  const secret = await passphraseFlag(flags);

  const rootKeyPath = join(rootOut, KEY_FILES.rootKey);
  refuseExisting(
    [
      rootKeyPath,
      join(rootOut, KEY_FILES.rootCert),
      join(keysDir, KEY_FILES.rootCert),
      join(keysDir, KEY_FILES.caCert),
      join(keysDir, KEY_FILES.rootKey),
      ...slotPaths(keysDir, KEY_SLOTS.issuing, caKeyUri),
      ...slotPaths(keysDir, KEY_SLOTS.ctLog, ctKeyUri),
      join(keysDir, KEY_FILES.ctPub),
      ...slotPaths(keysDir, KEY_SLOTS.tsa, tsaKeyUri),
      join(keysDir, KEY_FILES.tsaCert),
    ],
    'ca init never replaces keys; move them away or choose other directories',
  );
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  mkdirSync(rootOut, { recursive: true, mode: 0o700 });

  const created = new CreatedFiles();
  try {
    const rootKey = generateSoftwareKey(algorithm);
    await writePrivateKeyFile(rootKeyPath, rootKey, secret.passphrase);
    created.paths.push(rootKeyPath);
    const rootSigner = keySigner(rootKey);
    const root = await createRootCertificate({
      subject: encodeName({ organization: org, commonName: rootName }),
      signer: rootSigner,
      validity: rootValidity,
      pathLen: 1,
    });
    await created.write(join(rootOut, KEY_FILES.rootCert), certToPem(root));
    await created.write(join(keysDir, KEY_FILES.rootCert), certToPem(root));

    const { issuing, where: issuingWhere } = await createSignedIssuingCa({
      dir: keysDir,
      caKeyUri,
      algorithm,
      secret,
      created,
      subject: encodeName({ organization: org, commonName: issuingName }),
      root,
      rootSigner,
      validity: issuingValidity,
    });
    await created.write(join(keysDir, KEY_FILES.caCert), certToPem(issuing));
    const ctWhere = await createCtLogKey(keysDir, ctKeyUri, secret, created);
    // The timestamp authority: its own key, a certificate under the root (signed now, while the root key is here).
    const tsaKey = await createKeyAt(keysDir, KEY_SLOTS.tsa, tsaKeyUri, algorithm, secret, created);
    let tsa: Buffer;
    try {
      tsa = await createTsaCertificate({
        subject: encodeName({ organization: org, commonName: `${org} Timestamp Authority` }),
        spki: tsaKey.signer.spki,
        issuerCert: root,
        issuerSigner: rootSigner,
        validity: issuingValidity,
      });
    } finally {
      await tsaKey.close();
    }
    await created.write(join(keysDir, KEY_FILES.tsaCert), certToPem(tsa));

    const unencrypted = secret.passphrase === undefined;
    process.stdout.write(
      `Created a production CA (${algorithm}):\n` +
        describeCertificate('root CA', root) +
        describeCertificate('issuing CA', issuing) +
        describeCertificate('TSA', tsa) +
        `Keys:\n` +
        `  root CA key     ${resolve(rootKeyPath)} (${unencrypted ? 'NOT encrypted' : 'encrypted'})\n` +
        `  issuing CA key  ${issuingWhere}\n` +
        `  CT log key      ${ctWhere}\n` +
        `  TSA key         ${tsaKey.where}\n` +
        `Next:\n` +
        `  - Distribute ${join(keysDir, KEY_FILES.rootCert)} (the trust anchor) to verifiers; check its fingerprint out of band.\n` +
        `  - Back up ${rootOut} and take it offline: the root key is needed only to sign a new issuing CA (ca rotate).\n` +
        `  - Back up the issuing CA, CT log and TSA keys (or the token); serve from ${keysDir}: fulgor serve --keys-dir ${keysDir}` +
        `${unencrypted ? '' : ' --key-passphrase-file FILE'} --config-path CONFIG\n`,
    );
    if (unencrypted)
      process.stderr.write(`warning: no --passphrase-file: the root key ${rootKeyPath} and the key files are NOT encrypted\n`);
  } catch (e) {
    await created.undo();
    throw e;
  }
}

/** `--intermediate-validity` (ca init, ca rotate). */
export const INTERMEDIATE_VALIDITY_FLAG = { 'intermediate-validity': str('DURATION', "the issuing CA's validity (y, d or h)", '3y') };

export const CA_INIT_COMMAND: Command = {
  name: 'ca init',
  summary: 'key ceremony for a production CA: offline root, issuing CA, CT log and TSA keys',
  flags: {
    ...CA_COMMON_FLAGS,
    'root-out': str('OFFLINE-DIR', "where the root's key goes (outside the keys dir; take it offline; required)"),
    ...CA_NAME_FLAGS,
    'root-common-name': str('CN', "the root's common name (default \"O Root CA\")"),
    ...ALGORITHM_FLAG,
    'root-validity': str('DURATION', "the root's validity (y, d or h)", '10y'),
    ...INTERMEDIATE_VALIDITY_FLAG,
    ...CA_KEY_FLAG,
    ...CT_LOG_KEY_FLAG,
    'tsa-key': str('URI', 'make the timestamp authority key there (a path or pkcs11:...) instead of in the keys dir'),
  },
  run: caInitCommand,
};
