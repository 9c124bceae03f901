// `fulgor ca rotate`: replaces the active issuing CA. The new one is made (--root-out: a new key signed by the
// offline root, as `ca init` does) or imported (--chain/--root for the key `ca csr --keys-dir NEW` made, checked as
// `ca import` does) in a staging directory first; then the old chain and its key file (or .key.uri) move to
// D/retired/<stamp>-<fingerprint>/ with retired.json, and the new files move in. Any failure puts the old CA back.
// The running server picks the new CA up on reload (SIGHUP).
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { encodeName } from '../ca/name.js';
import { KEY_FILES, RETIRED_FILES, retiredEntryName } from '../config/keys-dir.js';
import { certToPem } from '../lib/pem.js';
import { keySigner } from '../lib/signer.js';
import { parseKeyUri, readPrivateKeyFile } from '../signer/index.js';
import { certificatesIn, CHAIN_FLAGS, checkChainFor } from './ca-import.js';
import { BACKDATE_MS, createSignedIssuingCa, INTERMEDIATE_VALIDITY_FLAG } from './ca-init.js';
import { addDuration, ALGORITHM_FLAG, algorithmFlag, CA_COMMON_FLAGS, CA_KEY_FLAG, CreatedFiles, describeCertificate, keyRefIn, KEY_SLOTS, passphraseFlag, requiredFlag } from './ca-keys.js';
import type { Command } from './command.js';
import { flag, str, type Flags } from './flags.js';

/** The subject's O (default for the new CA's organization). */
const organizationOf = (der: Buffer): string | undefined => /^O=(.*)$/m.exec(new X509Certificate(der).subject)?.[1];

/** Renames done so far, undone in reverse order when a later step fails. */
class Moves {
  private readonly done: [from: string, to: string][] = [];
  async move(from: string, to: string): Promise<void> {
    await rename(from, to);
    this.done.push([from, to]);
  }
  async undo(): Promise<void> {
    for (const [from, to] of this.done.reverse()) await rename(to, from).catch(() => undefined);
  }
}

export async function caRotateCommand(flags: Flags): Promise<void> {
  const keysDir = requiredFlag(flags, 'keys-dir', 'DIR');
  const rootOut = flag(flags, 'root-out');
  const chainPath = flag(flags, 'chain');
  const rootPath = flag(flags, 'root');
  const newKeyDir = flag(flags, 'new-key-dir');
  if ((rootOut === undefined) === (chainPath === undefined && rootPath === undefined))
    throw new Error('give either --root-out OFFLINE-DIR (sign a new issuing CA with the root key) or --chain CHAIN.pem --root ROOT.pem --new-key-dir DIR (import a chain for the key "fulgor ca csr --keys-dir DIR" made)');
  const activeFile = join(keysDir, KEY_FILES.caCert);
  if (!existsSync(activeFile)) throw new Error(`${activeFile} does not exist: there is no active issuing CA to rotate (make one with fulgor ca init or ca import)`);
  const oldChain = certificatesIn(activeFile, 'active issuing CA');
  const oldRootFile = join(keysDir, KEY_FILES.rootCert);
  const oldRoot = certificatesIn(oldRootFile, 'root')[0]!;
  const oldKeyRef = await keyRefIn(keysDir, KEY_SLOTS.issuing);
  const secret = await passphraseFlag(flags);
  const retiredAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const entry = join(keysDir, RETIRED_FILES.dir, retiredEntryName(retiredAt, oldChain[0]!));
  if (existsSync(entry)) throw new Error(`${entry} already exists; retry in a second`);
  const staging = join(keysDir, `.rotate-${retiredEntryName(retiredAt, oldChain[0]!)}`);
  mkdirSync(staging, { mode: 0o700 });

  const created = new CreatedFiles();
  const moves = new Moves();
  try {
    // 1. The new CA, in the staging directory.
    let newChain: Buffer[];
    let newRoot: Buffer;
    let keyWhere: string;
    if (rootOut !== undefined) {
      const rootKey = await readPrivateKeyFile(join(rootOut, KEY_FILES.rootKey), secret.secrets);
      newRoot = certificatesIn(join(rootOut, KEY_FILES.rootCert), 'root')[0]!;
      const org = flag(flags, 'org') ?? organizationOf(oldChain[0]!) ?? 'Fulgor';
      const now = new Date(retiredAt.getTime() - BACKDATE_MS);
      const notAfter = addDuration(now, flag(flags, 'intermediate-validity') as string, 'intermediate-validity');
      const rootNotAfter = new Date(new X509Certificate(newRoot).validTo);
      if (notAfter > rootNotAfter) throw new Error(`--intermediate-validity ends after the root (${rootNotAfter.toISOString()}): the issuing CA cannot outlive its root`);
      const made = await createSignedIssuingCa({
        dir: staging,
        caKeyUri: flag(flags, 'ca-key'),
        algorithm: algorithmFlag(flags),
        secret,
        created,
        subject: encodeName({ organization: org, commonName: flag(flags, 'common-name') ?? `${org} Issuing CA ${retiredAt.toISOString().slice(0, 10)}` }),
        root: newRoot,
        rootSigner: keySigner(rootKey),
        validity: { notBefore: now, notAfter },
      });
      newChain = [made.issuing];
      keyWhere = made.where;
    } else {
      if (!chainPath || !rootPath || !newKeyDir) throw new Error('--chain CHAIN.pem, --root ROOT.pem and --new-key-dir DIR go together (DIR: where "fulgor ca csr --keys-dir DIR" made the new key)');
      const keyRef = await keyRefIn(newKeyDir, KEY_SLOTS.issuing);
      if (keyRef === undefined) throw new Error(`${newKeyDir} holds no issuing CA key (${KEY_SLOTS.issuing.pem} or ${KEY_SLOTS.issuing.uri}): make it and its CSR with fulgor ca csr --keys-dir ${newKeyDir}`);
      if (oldKeyRef !== undefined && resolve(keyRef) === resolve(oldKeyRef)) throw new Error(`${keyRef} is the active issuing CA's key: rotate to a new key`);
      const { checked, root } = await checkChainFor({ chainPath, rootPath, keyRef, secrets: secret.secrets, command: 'ca rotate' });
      newChain = checked.chain;
      newRoot = root;
      // The key: its file moves in with the chain; a reference (.key.uri) is recorded in the staging directory.
      if (keyRef === join(newKeyDir, KEY_SLOTS.issuing.pem)) {
        await moves.move(keyRef, join(staging, KEY_SLOTS.issuing.pem));
        keyWhere = join(keysDir, KEY_SLOTS.issuing.pem);
      } else {
        const ref = parseKeyUri(keyRef);
        const line = ref.kind === 'file' && !isAbsolute(ref.path) ? `file:${resolve(newKeyDir, ref.path)}` : keyRef;
        await created.write(join(staging, KEY_SLOTS.issuing.uri), `${line}\n`, 0o600);
        keyWhere = line;
      }
    }
    if (newChain[0]!.equals(oldChain[0]!)) throw new Error('the new issuing CA certificate is the active one');
    await created.write(join(staging, KEY_FILES.caCert), newChain.map((c) => certToPem(c)).join(''));
    const rootChanged = !newRoot.equals(oldRoot);

    // 2. Retire the active CA: its chain, its key file or reference, its root when that changes, and when.
    mkdirSync(entry, { recursive: true, mode: 0o700 });
    const oldKeyFiles = [KEY_SLOTS.issuing.pem, KEY_SLOTS.issuing.uri].filter((f) => existsSync(join(keysDir, f)));
    for (const f of [KEY_FILES.caCert, ...oldKeyFiles]) await moves.move(join(keysDir, f), join(entry, f));
    if (rootChanged) await moves.move(oldRootFile, join(entry, KEY_FILES.rootCert));
    await writeFile(join(entry, RETIRED_FILES.info), JSON.stringify({ retiredAt: retiredAt.toISOString() }) + '\n', { flag: 'wx' });

    // 3. Activate the new CA.
    if (rootChanged) await writeFile(oldRootFile, certToPem(newRoot), { flag: 'wx' });
    for (const f of [KEY_FILES.caCert, KEY_SLOTS.issuing.pem, KEY_SLOTS.issuing.uri])
      if (existsSync(join(staging, f))) await moves.move(join(staging, f), join(keysDir, f));
    await rm(staging, { recursive: true, force: true });

    const keptKeys = oldKeyFiles.map((f) => join(entry, f));
    process.stdout.write(
      `Rotated the issuing CA of ${keysDir}:\n` +
        `Retired (stopped issuing ${retiredAt.toISOString()}), moved to ${entry}:\n` +
        describeCertificate('issuing CA', oldChain[0]!) +
        `Active:\n` +
        newChain.map((c, i) => describeCertificate(i === 0 ? 'issuing CA' : `chain[${i}]`, c)).join('') +
        describeCertificate('root CA', newRoot) +
        `  issuing CA key  ${keyWhere}\n` +
        `Next:\n` +
        `  - Reload the running server (kill -HUP <pid>): it issues with the new CA and keeps serving the retired chain in /api/v2/trustBundle.\n` +
        `  - Re-run fulgor trust export and distribute it: verifiers need the retired chain for what it signed.\n` +
        (keptKeys.length
          ? `  - The retired CA's key stays in ${keptKeys.join(', ')} (the server no longer needs it): back it up or destroy it.\n`
          : '') +
        (rootChanged ? `  - The root changed: distribute ${oldRootFile} (the new trust anchor) to verifiers.\n` : ''),
    );
  } catch (e) {
    await moves.undo();
    await rm(join(entry, RETIRED_FILES.info), { force: true });
    await rmdir(entry).catch(() => undefined);
    await created.undo();
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

export const CA_ROTATE_COMMAND: Command = {
  name: 'ca rotate',
  summary: 'replace the active issuing CA (the old one is kept as retired); serve picks it up on SIGHUP',
  flags: {
    ...CA_COMMON_FLAGS,
    'root-out': str('OFFLINE-DIR', 'sign a new issuing CA with the root key there'),
    ...ALGORITHM_FLAG,
    org: str('O', "the new CA's organization (default: the current CA's)"),
    'common-name': str('CN', "the new issuing CA's common name (default \"O Issuing CA DATE\")"),
    ...INTERMEDIATE_VALIDITY_FLAG,
    ...CA_KEY_FLAG,
    ...CHAIN_FLAGS,
    'new-key-dir': str('DIR', 'with --chain/--root: the keys dir where ca csr made the new key'),
  },
  notes: ['Give either --root-out OFFLINE-DIR, or --chain CHAIN.pem --root ROOT.pem --new-key-dir DIR.'],
  run: caRotateCommand,
};
