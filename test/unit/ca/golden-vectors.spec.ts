// Golden issuance vectors: a fixed CA key and certificate, client key, clock, serial and SCT list must produce
// byte-identical precertificate and final certificate DER, checked in under test/vectors/issuance/. Any change to the
// leaf profile, the extension encodings, the TBS layout or the SCT embedding shows up here as a byte difference.
//
// Why the whole DER, signatures included: ECDSA signatures are randomized, so a P-256 CA could only be compared on
// its TBS bytes. The vector CA's key is Ed25519, which the CA supports (lib/signer.ts) and which signs
// deterministically (RFC 8032), so the complete certificates are compared; each signature is also verified.
//
// Regenerate (only when a change to the bytes is intended; review the diff of the .der files, e.g. with
// `openssl asn1parse -inform DER -i -in FILE`):
//   npx tsc -p tsconfig.json && FULGOR_REGENERATE_VECTORS=1 npx mocha --no-config dist/test/unit/ca/golden-vectors.spec.js
// That rewrites <case>.precert.der and <case>.cert.der from vectors.json and the checked-in keys; it never creates
// keys. The CA was made once with openssl (see test/vectors/issuance/README.md).
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority } from '../../../ca/authority.js';
import { parseClientKey } from '../../../ca/client-key.js';
import { createIssuingCa } from '../../../ca/issuing-ca.js';
import { fixedClock } from '../../../lib/clock.js';
import { parsePemBlocks } from '../../../lib/pem.js';
import { keySigner } from '../../../lib/signer.js';
import type { Principal } from '../../../oidc/principal.js';
import { x509 } from '../../helpers/x509.js';

/** The source directory (the compiled spec runs from dist/, the vectors stay in test/). */
const DIR = fileURLToPath(new URL('../../../../test/vectors/issuance/', import.meta.url));
const REGENERATE = process.env['FULGOR_REGENERATE_VECTORS'] === '1';
const REGENERATE_HINT =
  'If the change is intended, regenerate with `npx tsc -p tsconfig.json && FULGOR_REGENERATE_VECTORS=1 npx mocha --no-config ' +
  'dist/test/unit/ca/golden-vectors.spec.js` and review the .der diff';

interface Vectors {
  readonly now: string;
  readonly serialRandomHex: string;
  readonly sctListHex: string;
  readonly cases: ReadonlyArray<{ readonly name: string; readonly principal: Principal }>;
}

const read = (name: string) => readFileSync(join(DIR, name));
const vectors = JSON.parse(read('vectors.json').toString()) as Vectors;

/** Where the bytes first differ, with the neighbourhood in hex, and where the actual bytes were written. */
function explainDifference(file: string, expected: Buffer, actual: Buffer): string {
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  const around = (b: Buffer) => b.subarray(Math.max(0, at - 8), at + 8).toString('hex');
  const outDir = join(tmpdir(), 'fulgor-vectors-actual');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, file), actual);
  return (
    `${file}: the issued DER differs from test/vectors/issuance/${file} at byte ${at} ` +
    `(expected ${expected.length} bytes, got ${actual.length}; bytes ${Math.max(0, at - 8)}.. expected ${around(expected)}, got ${around(actual)}). ` +
    `The actual bytes are in ${join(outDir, file)}: compare \`openssl asn1parse -inform DER -i -in\` of both files. ${REGENERATE_HINT}`
  );
}

describe('ca: golden issuance vectors (test/vectors/issuance)', () => {
  const caCert = parsePemBlocks(read('ca.cert.pem').toString())[0]!.der;
  const caKey = createPrivateKey(read('ca.key.pem'));
  const clientKey = parseClientKey(read('client.pub.pem').toString());
  const sctList = Buffer.from(vectors.sctListHex, 'hex');

  const issue = async (principal: Principal) => {
    const ca = createCertificateAuthority(createIssuingCa([caCert], keySigner(caKey)), {
      clock: fixedClock(new Date(vectors.now)),
      random: (n) => {
        const bytes = Buffer.from(vectors.serialRandomHex, 'hex');
        assert.equal(bytes.length, n, 'the serial takes 20 random bytes');
        return bytes;
      },
    });
    const pre = await ca.precertificate(principal, clientKey);
    return { pre: pre.der, final: await ca.finalize(pre, sctList) };
  };

  it('the vector CA is an Ed25519 CA (deterministic signatures), and the client key is P-256', () => {
    assert.equal(caKey.asymmetricKeyType, 'ed25519');
    assert.ok(new X509Certificate(caCert).ca);
    assert.equal(clientKey.key.asymmetricKeyType, 'ec');
    assert.ok(vectors.cases.some((c) => c.name === 'github-workflow') && vectors.cases.some((c) => c.name === 'email'));
  });

  for (const { name, principal } of vectors.cases) {
    it(`${name}: the precertificate and final certificate are byte for byte the checked-in DER`, async () => {
      const first = await issue(principal);
      const again = await issue(principal);
      assert.ok(first.pre.equals(again.pre) && first.final.equals(again.final), 'issuance with fixed inputs is deterministic');
      const files = { [`${name}.precert.der`]: first.pre, [`${name}.cert.der`]: first.final };
      if (REGENERATE) for (const [file, der] of Object.entries(files)) writeFileSync(join(DIR, file), der);
      for (const [file, der] of Object.entries(files)) {
        let expected: Buffer;
        try {
          expected = read(file);
        } catch {
          assert.fail(`test/vectors/issuance/${file} is missing: ${REGENERATE_HINT}`);
        }
        assert.ok(der.equals(expected), explainDifference(file, expected, der));
      }
    });

    it(`${name}: the checked-in DER is signed by the vector CA and carries the inputs`, () => {
      const issuer = new X509Certificate(caCert);
      const pre = new x509.X509Certificate(read(`${name}.precert.der`));
      const final = new x509.X509Certificate(read(`${name}.cert.der`));
      for (const der of [pre.rawData, final.rawData]) assert.ok(new X509Certificate(Buffer.from(der)).verify(issuer.publicKey));
      assert.equal(pre.serialNumber, final.serialNumber);
      assert.equal(final.serialNumber, `40${vectors.serialRandomHex.slice(2)}`, 'the serial is the fixed bytes, made positive');
      assert.equal(final.notBefore.toISOString(), '2027-01-15T12:00:00.000Z');
      assert.ok(Buffer.from(final.publicKey.rawData).equals(clientKey.spki));
      assert.equal(pre.extensions.at(-1)?.type, '1.3.6.1.4.1.11129.2.4.3', 'the precertificate ends with the poison');
      const sct = final.extensions.at(-1)!;
      assert.equal(sct.type, '1.3.6.1.4.1.11129.2.4.2');
      assert.ok(Buffer.from(sct.value).subarray(2).equals(sctList), 'the final certificate embeds the fixed SCT list');
      const san = final.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()[0]!;
      assert.equal(san.value, principal.san.value);
    });
  }
});
