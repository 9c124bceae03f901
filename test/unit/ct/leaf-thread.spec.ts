import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parseCertificate } from '../../../ct/certificate.js';
import { stopLeafThread, verifyLeafOnThread } from '../../../ct/leaf-thread.js';
import { keySigner } from '../../../lib/signer.js';
import { CODE_SIGNING, makeCert, makePki, newKey, type TestPki } from './helpers.js';

describe('ct/leaf-thread: leaf signatures verified on a thread of the log\'s own', () => {
  let pki: TestPki;
  let intermediateSpki: Buffer;
  /** Leaves under the intermediate's name: a third signed by it, a third by a stranger, a third corrupted. */
  let cases: { leaf: Buffer; want: boolean }[];

  before(async () => {
    pki = await makePki();
    intermediateSpki = parseCertificate(pki.intermediate.der).spki;
    const stranger = keySigner(newKey());
    cases = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        if (i % 3 === 0) return { leaf: await pki.leaf(), want: true };
        if (i % 3 === 1)
          return { leaf: await makeCert({ subject: 'leaf', issuerName: pki.intermediate.name, issuerSigner: stranger, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING] }), want: false };
        const corrupt = Buffer.from(await pki.leaf());
        corrupt[corrupt.length - 3]! ^= 0x40;
        return { leaf: corrupt, want: false };
      }),
    );
  });
  after(() => stopLeafThread());

  const verdicts = (): Promise<boolean[]> =>
    Promise.all(cases.map((c) => verifyLeafOnThread({ leaf: parseCertificate(c.leaf), issuerSpki: intermediateSpki })));

  it('answers each of many concurrent checks with its own verdict', async () => {
    assert.deepEqual(await verdicts(), cases.map((c) => c.want));
  });

  it('refuses a signature by a key of another type than the algorithm names', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(await verifyLeafOnThread({ leaf: parseCertificate(await pki.leaf()), issuerSpki: rsa }), false);
  });

  it('answers the checks the thread had when it stops, and starts a new thread for the next ones', async () => {
    const pending = verdicts();
    await stopLeafThread(); // ends the thread with (some of) these checks still on it
    assert.deepEqual(await pending, cases.map((c) => c.want));
    assert.deepEqual(await verdicts(), cases.map((c) => c.want));
  });

  it('leaves the bytes it was given as they were (each check crosses as a copy)', async () => {
    const leaf = parseCertificate(await pki.leaf());
    const tbs = Buffer.from(leaf.tbs);
    assert.equal(await verifyLeafOnThread({ leaf, issuerSpki: intermediateSpki }), true);
    assert.ok(leaf.tbs.equals(tbs) && leaf.tbs.length > 0);
  });
});
