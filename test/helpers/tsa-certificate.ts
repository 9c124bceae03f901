// A timestamp authority certificate in a keys directory, as `trust export` reads it (D/tsa.pem: the TSA's signing
// certificate, chained to D/root-ca.pem), for tests that need one before the keys commands create it. The leaf is
// signed by the directory's root key and carries the critical EKU timeStamping RFC 3161 requires.
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extension } from '../../ca/extension.js';
import { encodeName } from '../../ca/name.js';
import { OID } from '../../ca/oids.js';
import { encodeTbs, signTbs } from '../../ca/tbs.js';
import { KEY_FILES, TSA_CHAIN_FILE } from '../../config/keys-dir.js';
import { encodeOid, sequence, tlv, unsignedInteger } from '../../lib/der.js';
import { certToPem, parsePemBlocks } from '../../lib/pem.js';
import { keySigner } from '../../lib/signer.js';
import { parseCertificate } from '../../lib/x509.js';

const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
// KU digitalSignature (bit 0): one byte 0x80 with seven unused bits.
const DIGITAL_SIGNATURE = extension(OID.keyUsage, tlv(0x03, Buffer.from([7, 0x80])), true);

/** Writes D/tsa.pem (and its key) and resolves to the TSA certificate, DER. */
export async function writeTestTsaCertificate(keysDir: string, now = new Date()): Promise<Buffer> {
  const rootDer = parsePemBlocks(readFileSync(join(keysDir, KEY_FILES.rootCert), 'utf8'))[0]!.der;
  const rootSigner = keySigner(createPrivateKey(readFileSync(join(keysDir, KEY_FILES.rootKey), 'utf8')));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leaf = await signTbs(
    encodeTbs({
      serial: unsignedInteger(randomBytes(16)),
      signatureAlgorithm: rootSigner.algorithmIdentifier,
      issuer: parseCertificate(rootDer).subject,
      notBefore: new Date(now.getTime() - 3_600_000),
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
      subject: encodeName({ organization: 'Fulgor Development', commonName: 'Fulgor Test Timestamp Authority' }),
      spki: keySigner(privateKey).spki,
      extensions: [DIGITAL_SIGNATURE, extension(OID.extKeyUsage, sequence(encodeOid(TIME_STAMPING)), true)],
    }),
    rootSigner,
  );
  writeFileSync(join(keysDir, TSA_CHAIN_FILE), certToPem(leaf));
  writeFileSync(join(keysDir, 'tsa.key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  return leaf;
}
