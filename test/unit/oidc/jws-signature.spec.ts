// oidc/jws-signature.ts on its own: the keys jose's lookup would never hand it (so the integration tests cannot
// reach these paths) are refused as unusable, not used with another scheme; signatures are checked against jose's
// own (WebCrypto) signing.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactSign, exportJWK, importJWK } from 'jose';
import { verifyJwsSignature } from '../../../oidc/jws-signature.js';
import { SUPPORTED_TOKEN_ALGORITHMS } from '../../../oidc/discovery.js';

/** A JWS by jose: its signing input and signature bytes. */
async function joseSigned(alg: string, key: KeyObject): Promise<{ input: Buffer; sig: Buffer }> {
  const jws = await new CompactSign(Buffer.from('{"sub":"x"}')).setProtectedHeader({ alg }).sign(key);
  const i = jws.lastIndexOf('.');
  return { input: Buffer.from(jws.slice(0, i)), sig: Buffer.from(jws.slice(i + 1), 'base64url') };
}

describe('oidc/jws-signature', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;

  it('verifies exactly the algorithms Fulcio accepts', async () => {
    const keyFor = (alg: string) => (alg.startsWith('ES') ? p256 : alg === 'EdDSA' ? ed : rsa);
    for (const alg of SUPPORTED_TOKEN_ALGORITHMS) {
      const key = alg === 'ES384' ? generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey : alg === 'ES512' ? generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey : keyFor(alg);
      const { input, sig } = await joseSigned(alg, key);
      assert.equal(verifyJwsSignature(alg, createPublicKey(key), input, sig), true, alg);
    }
    for (const alg of ['none', 'HS256', 'Ed25519', 'ES256K', 'constructor', '__proto__', 'toString'])
      assert.throws(() => verifyJwsSignature(alg, createPublicKey(rsa), Buffer.of(), Buffer.of()), { name: 'TypeError', message: /not a supported token algorithm/ }, alg);
  });

  it('takes the CryptoKey jose’s key lookup returns, a KeyObject or a public JWK, and the same CryptoKey twice', async () => {
    const { input, sig } = await joseSigned('ES256', p256);
    const jwk = await exportJWK(createPublicKey(p256));
    const cryptoKey = await importJWK({ ...jwk, alg: 'ES256' }, 'ES256', { extractable: true });
    for (const key of [cryptoKey, cryptoKey, createPublicKey(p256), jwk]) {
      assert.equal(verifyJwsSignature('ES256', key, input, sig), true);
      assert.equal(verifyJwsSignature('ES256', key, Buffer.concat([input, Buffer.of(0x20)]), sig), false);
    }
  });

  it('refuses keys that cannot serve the algorithm: private, secret, another type or curve, RSA under 2048 bits', async () => {
    const { input, sig } = await joseSigned('RS256', rsa);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const unusable: [string, unknown, RegExp][] = [
      ['RS256', rsa, /public key, not private/],
      ['RS256', Buffer.from('secret'), /must be a public key/],
      ['RS256', 'a PEM string', /must be a public key/],
      ['RS256', createPublicKey(p256), /must be rsa, not ec/],
      ['PS256', createPublicKey(ed), /must be rsa, not ed25519/],
      ['ES256', createPublicKey(rsa), /must be ec, not rsa/],
      ['ES256', createPublicKey(p384), /must be on prime256v1, not secp384r1/],
      ['ES512', createPublicKey(p256), /must be on secp521r1/],
      ['EdDSA', createPublicKey(p256), /must be ed25519, not ec/],
      ['RS256', createPublicKey(rsa1024), /at least 2048 bits/],
      ['PS512', createPublicKey(rsa1024), /at least 2048 bits/],
    ];
    for (const [alg, key, message] of unusable) assert.throws(() => verifyJwsSignature(alg, key, input, sig), { name: 'TypeError', message }, `${alg} ${String(message)}`);
    assert.equal(verifyJwsSignature('RS256', createPublicKey(rsa), input, sig), true);
  });

  it('answers false, never throws, for signatures OpenSSL refuses outright', async () => {
    const { input, sig } = await joseSigned('RS256', rsa);
    const pub = createPublicKey(rsa);
    for (const bad of [Buffer.alloc(0), Buffer.alloc(257, 0xff), Buffer.alloc(256, 0xff), sig.subarray(1), Buffer.concat([sig, sig])])
      assert.equal(verifyJwsSignature('RS256', pub, input, bad), false);
    const es = await joseSigned('EdDSA', ed);
    for (const bad of [Buffer.alloc(0), es.sig.subarray(1), Buffer.concat([es.sig, Buffer.of(0)]), Buffer.alloc(64)])
      assert.equal(verifyJwsSignature('EdDSA', createPublicKey(ed), es.input, bad), false);
    assert.equal(verifyJwsSignature('EdDSA', createPublicKey(ed), es.input, es.sig), true);
  });
});
