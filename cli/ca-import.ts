// `fulgor ca import`: bring your own PKI, step two. Installs the chain the enterprise CA returned for the key
// `ca csr` made (CHAIN: issuing CA first, then any intermediates; ROOT: the trust anchor) after checking every link
// (ca/chain-check.ts names the rule a certificate breaks); makes the CT log key when the directory has none.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChainRuleError, checkImportedChain } from '../ca/chain-check.js';
import { KEY_FILES } from '../config/keys-dir.js';
import { certToPem, parsePemBlocks } from '../lib/pem.js';
import { openSigner, type SecretOptions } from '../signer/index.js';
import { CA_COMMON_FLAGS, CreatedFiles, CT_LOG_KEY_FLAG, describeCertificate, ensureCtLogKey, keyRefIn, KEY_SLOTS, passphraseFlag, refuseExisting, requiredFlag, TSA_SEPARATELY } from './ca-keys.js';
import type { Command } from './command.js';
import { flag, str, type Flags } from './flags.js';

export function certificatesIn(path: string, what: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  let certs: Buffer[];
  try {
    certs = parsePemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  } catch (e) {
    throw new Error(`${what} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (certs.length === 0) throw new Error(`${what} ${path} holds no PEM CERTIFICATE`);
  return certs;
}

/** Reads CHAIN.pem and ROOT.pem and checks the chain for the issuing key `keyRef` (ca import, ca rotate --chain). */
export async function checkChainFor(o: { chainPath: string; rootPath: string; keyRef: string; secrets: SecretOptions; command: string }) {
  const chain = certificatesIn(o.chainPath, 'chain');
  const roots = certificatesIn(o.rootPath, 'root');
  if (roots.length !== 1) throw new Error(`root ${o.rootPath} holds ${roots.length} certificates; give the one trust anchor`);
  const root = roots[0]!;
  const signer = await openSigner(o.keyRef, o.secrets);
  const spki = signer.spki;
  await signer.close();
  try {
    return { checked: checkImportedChain({ chain, root, issuingSpki: spki, issuingKey: o.keyRef, now: new Date() }), root };
  } catch (e) {
    if (e instanceof ChainRuleError) throw new Error(`${o.command} refused ${o.chainPath}: ${e.message}`, { cause: e });
    throw e;
  }
}

export async function caImportCommand(flags: Flags): Promise<void> {
  const keysDir = requiredFlag(flags, 'keys-dir', 'DIR');
  const chainPath = requiredFlag(flags, 'chain', 'CHAIN.pem');
  const rootPath = requiredFlag(flags, 'root', 'ROOT.pem');
  const secret = await passphraseFlag(flags);
  refuseExisting([join(keysDir, KEY_FILES.caCert)], 'the keys directory already has an issuing CA; to replace it use fulgor ca rotate');
  const keyRef = await keyRefIn(keysDir, KEY_SLOTS.issuing);
  if (keyRef === undefined)
    throw new Error(`${keysDir} holds no issuing CA key (${KEY_SLOTS.issuing.pem} or ${KEY_SLOTS.issuing.uri}): make it and its CSR with fulgor ca csr first`);
  const { checked, root } = await checkChainFor({ chainPath, rootPath, keyRef, secrets: secret.secrets, command: 'ca import' });
  const rootFile = join(keysDir, KEY_FILES.rootCert);
  if (existsSync(rootFile) && !certificatesIn(rootFile, 'root')[0]!.equals(root))
    throw new Error(`${rootFile} holds another root; refusing to replace the trust anchor`);
  const created = new CreatedFiles();
  try {
    await created.write(join(keysDir, KEY_FILES.caCert), checked.chain.map((c) => certToPem(c)).join(''));
    if (!existsSync(rootFile)) await created.write(rootFile, certToPem(root));
    const ct = await ensureCtLogKey(keysDir, flag(flags, 'ct-log-key'), secret, created);
    process.stdout.write(
      `Installed the issuing CA (${checked.chain.length} certificate${checked.chain.length === 1 ? '' : 's'} up to the root${checked.droppedRoot ? '; the root at the end of the chain was left out' : ''}):\n` +
        checked.chain.map((c, i) => describeCertificate(i === 0 ? 'issuing CA' : `chain[${i}]`, c)).join('') +
        describeCertificate('root CA', root) +
        `${ct}\n` +
        `Wrote ${join(keysDir, KEY_FILES.caCert)} and ${rootFile}; distribute ${rootFile} (the trust anchor) to verifiers.\n` +
        (existsSync(join(keysDir, KEY_FILES.tsaCert)) ? '' : TSA_SEPARATELY),
    );
  } catch (e) {
    await created.undo();
    throw e;
  }
}

/** `--chain` and `--root` (ca import, ca rotate). */
export const CHAIN_FLAGS = {
  chain: str('CHAIN.pem', 'the issuing CA certificate your CA signed, then any intermediates'),
  root: str('ROOT.pem', 'the trust anchor the chain ends in'),
};

export const CA_IMPORT_COMMAND: Command = {
  name: 'ca import',
  summary: 'bring your own PKI, step two: install the chain your enterprise CA signed for the key ca csr made',
  flags: { ...CA_COMMON_FLAGS, ...CHAIN_FLAGS, ...CT_LOG_KEY_FLAG },
  notes: ['--chain and --root are required.'],
  run: caImportCommand,
};
