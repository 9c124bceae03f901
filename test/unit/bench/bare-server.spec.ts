import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startBareServer, type BareServer } from '../../../bench/bare-server.js';
import { clientKey, signingBody, SUB } from '../../../bench/issuance.js';
import { startBenchIssuer, type BenchIssuer } from '../../../bench/oidc-issuer.js';
import { mintToken } from '../../../oidc/dev-issuer.js';

describe("bench/bare-server: the bench's reference for what Node allows", () => {
  let issuer: BenchIssuer;
  let server: BareServer;
  before(async () => {
    issuer = await startBenchIssuer();
    server = await startBareServer(issuer.url);
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  const post = async (body: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${server.caUrl}/api/v2/signingCert`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('answers a real token and proof with three PEM blocks, as the load generator expects of Fulgor', async () => {
    const { status, json } = await post(signingBody(await issuer.mint(), [clientKey(SUB)], 0));
    assert.equal(status, 200);
    const chain = (json['signedCertificateEmbeddedSct'] as { chain: { certificates: string[] } }).chain.certificates;
    assert.equal(chain.length, 3);
    for (const pem of chain) assert.match(pem, /^-----BEGIN [A-Z ]+-----\n[A-Za-z0-9+/=\n]+-----END [A-Z ]+-----\n$/);
  });

  it('does the checks it stands for: refuses a proof by another key, a token it cannot verify, and a P-384 key', async () => {
    const token = await issuer.mint();
    const [mine, other] = [clientKey(SUB), clientKey(SUB)];
    const swapped = { pem: mine.pem, proof: other.proof };
    assert.deepEqual(await post(signingBody(token, [swapped], 0)), { status: 400, json: { code: 400, message: 'the proof of possession does not verify' } });

    const stranger = await mintToken({ issuer: issuer.url, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, type: 'github' });
    assert.equal((await post(signingBody(stranger, [mine], 0))).json['message'], 'the token signature does not verify');

    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.equal((await post(signingBody(token, [{ pem: p384, proof: mine.proof }], 0))).json['message'], 'not a P-256 public key');
    assert.equal((await post('{"credentials":')).status, 400);
  });
});
