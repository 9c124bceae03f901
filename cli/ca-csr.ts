// `fulgor ca csr`: bring your own PKI, step one. Makes the issuing CA key in the keys directory (a file, encrypted
// with the passphrase when given, or inside a PKCS#11 token with --ca-key) and a PKCS#10 request for the enterprise
// CA to sign with the issuing CA profile; makes the CT log key too when the directory has none.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCaCsr } from '../ca/ca-csr.js';
import { encodeName } from '../ca/name.js';
import { KEY_FILES } from '../config/keys-dir.js';
import { toPem } from '../lib/pem.js';
import { caNames } from './ca-init.js';
import { ALGORITHM_FLAG, algorithmFlag, CA_COMMON_FLAGS, CA_KEY_FLAG, CA_NAME_FLAGS, CT_LOG_KEY_FLAG, createKeyAt, CreatedFiles, ensureCtLogKey, KEY_SLOTS, passphraseFlag, refuseExisting, requiredFlag, slotPaths, TSA_SEPARATELY } from './ca-keys.js';
import type { Command } from './command.js';
import { flag, str, type Flags } from './flags.js';

export async function caCsrCommand(flags: Flags): Promise<void> {
  const keysDir = requiredFlag(flags, 'keys-dir', 'DIR');
  const out = requiredFlag(flags, 'out', 'FILE');
  const { org, issuingName } = caNames(flags);
  const algorithm = algorithmFlag(flags);
  const caKeyUri = flag(flags, 'ca-key');
  const secret = await passphraseFlag(flags);
  refuseExisting(
    [join(keysDir, KEY_FILES.caCert), ...slotPaths(keysDir, KEY_SLOTS.issuing, caKeyUri), out],
    'ca csr makes a new issuing key; to replace an active issuing CA use fulgor ca rotate',
  );
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const created = new CreatedFiles();
  try {
    const key = await createKeyAt(keysDir, KEY_SLOTS.issuing, caKeyUri, algorithm, secret, created);
    let csr: Buffer;
    try {
      csr = await createCaCsr({ subject: encodeName({ organization: org, commonName: issuingName }), signer: key.signer });
    } finally {
      await key.close();
    }
    await created.write(out, toPem(csr, 'CERTIFICATE REQUEST'));
    const ct = await ensureCtLogKey(keysDir, flag(flags, 'ct-log-key'), secret, created);
    process.stdout.write(
      `Made the issuing CA key (${algorithm}): ${key.where}\n` +
        `Wrote the certificate request ${out} (O=${org}, CN=${issuingName}).\n` +
        `${ct}\n` +
        `Next: have your CA sign it as an issuing CA: basicConstraints CA:TRUE pathlen:0, keyUsage keyCertSign (+ cRLSign),\n` +
        `extendedKeyUsage codeSigning, subject and authority key identifiers; then install the chain:\n` +
        `  fulgor ca import --keys-dir ${keysDir} --chain CHAIN.pem --root ROOT.pem\n` +
        TSA_SEPARATELY,
    );
  } catch (e) {
    await created.undo();
    throw e;
  }
}

export const CA_CSR_COMMAND: Command = {
  name: 'ca csr',
  summary: 'bring your own PKI, step one: make the issuing CA key and a CSR for your enterprise CA to sign',
  flags: {
    ...CA_COMMON_FLAGS,
    out: str('CSR.pem', 'where to write the certificate signing request (required)'),
    ...CA_NAME_FLAGS,
    ...ALGORITHM_FLAG,
    ...CA_KEY_FLAG,
    ...CT_LOG_KEY_FLAG,
  },
  run: caCsrCommand,
};
