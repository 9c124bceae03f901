import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { parseClientKey } from '../../../ca/client-key.js';
import { checkProofOfPossession, decodeBase64Bytes } from '../../../ca/proof-of-possession.js';

const NAME = 'repo:acme/app:ref:refs/heads/main';

const cases = [
  { label: 'ECDSA P-256 / SHA-256', pair: () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), hash: 'sha256' },
  { label: 'ECDSA P-384 / SHA-384', pair: () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), hash: 'sha384' },
  { label: 'ECDSA P-521 / SHA-512', pair: () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }), hash: 'sha512' },
  { label: 'RSA-2048 PKCS#1 v1.5 / SHA-256', pair: () => generateKeyPairSync('rsa', { modulusLength: 2048 }), hash: 'sha256' },
  { label: 'RSA-3072 PKCS#1 v1.5 / SHA-256', pair: () => generateKeyPairSync('rsa', { modulusLength: 3072 }), hash: 'sha256' },
  { label: 'Ed25519 (pure)', pair: () => generateKeyPairSync('ed25519'), hash: null },
] as const;

describe('ca/client-key and proof of possession', () => {
  for (const c of cases) {
    it(`accepts ${c.label} and its proof over the name, refuses a proof over another string`, () => {
      const { publicKey, privateKey } = c.pair();
      const key = parseClientKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
      checkProofOfPossession(key, NAME, sign(c.hash, Buffer.from(NAME), privateKey));
      assert.throws(() => checkProofOfPossession(key, NAME, sign(c.hash, Buffer.from('other'), privateKey)), {
        code: 'INVALID_PROOF_OF_POSSESSION',
      });
    });
  }

  it('accepts raw r||s ECDSA proofs and PKCS#1 RSA PEM keys, and DER SPKI as a fallback', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = parseClientKey(ec.publicKey.export({ type: 'spki', format: 'der' }));
    checkProofOfPossession(key, NAME, sign('sha256', Buffer.from(NAME), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = parseClientKey(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    assert.equal(pkcs1.description, 'RSA-2048');
  });

  it('refuses RSA proofs made with PSS and P-384 proofs hashed with SHA-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = parseClientKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const pss = sign('sha256', Buffer.from(NAME), { key: rsa.privateKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */ });
    assert.throws(() => checkProofOfPossession(key, NAME, pss), { code: 'INVALID_PROOF_OF_POSSESSION' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const k384 = parseClientKey(ec.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    assert.throws(() => checkProofOfPossession(k384, NAME, sign('sha256', Buffer.from(NAME), ec.privateKey)), {
      code: 'INVALID_PROOF_OF_POSSESSION',
    });
  });

  it('refuses weak and unsupported keys as insecure, and garbage as unparsable', () => {
    const weak = [
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
      generateKeyPairSync('rsa', { modulusLength: 2056 }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).publicKey,
      generateKeyPairSync('x25519').publicKey,
      generateKeyPairSync('ed448').publicKey,
    ];
    for (const k of weak)
      assert.throws(() => parseClientKey(k.export({ type: 'spki', format: 'pem' }) as string), { code: 'INSECURE_PUBLIC_KEY' });
    assert.throws(() => parseClientKey('not a key'), { code: 'INVALID_PUBLIC_KEY' });
    assert.throws(() => parseClientKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), { code: 'INVALID_PUBLIC_KEY' });
    assert.throws(() => parseClientKey(''), { code: 'MISSING_PUBLIC_KEY' });
  });

  it('decodes protobuf-JSON bytes in every base64 spelling', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0x01]);
    for (const s of ['+/8B', '-_8B', '+/8B', '-_8B'.replace(/=+$/, '')]) assert.ok(decodeBase64Bytes(s, 'x').equals(bytes));
    assert.ok(decodeBase64Bytes('+w==', 'x').equals(Buffer.from([0xfb])));
    assert.ok(decodeBase64Bytes('+w', 'x').equals(Buffer.from([0xfb])));
    assert.throws(() => decodeBase64Bytes('%%%', 'x'), { code: 'BAD_REQUEST' });
  });
});
