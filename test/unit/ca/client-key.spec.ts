import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { parseClientKey } from '../../../ca/client-key.js';
import { bitString, children, derNull, encodeOid, explicit, parse, sequence, set, smallInteger, utf8String } from '../../../lib/der.js';
import { toPem } from '../../../lib/pem.js';
import { checkCsr } from '../../../ca/csr.js';
import { checkKeyAndProof, checkProofOfPossession, decodeBase64Bytes } from '../../../ca/proof-of-possession.js';
import {
  compressedP256,
  csrPem,
  ed25519Encoding,
  ed25519IdentityKey,
  ed25519SmallOrderEncodings,
  ed25519Spki,
  explicitParamsP256,
  rsaKeyWithExponent,
} from '../../helpers/malicious-keys.js';

const NAME = 'repo:acme/app:ref:refs/heads/main';

const reason = (code: string, why: RegExp) => (e: unknown) => {
  assert.equal((e as { code?: string }).code, code);
  assert.match((e as Error).message, why);
  return true;
};

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
    it(`accepts ${c.label} and its proof over the name, refuses a proof over another string`, async () => {
      const { publicKey, privateKey } = c.pair();
      const key = parseClientKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
      await checkProofOfPossession(key, NAME, sign(c.hash, Buffer.from(NAME), privateKey));
      await assert.rejects(checkProofOfPossession(key, NAME, sign(c.hash, Buffer.from('other'), privateKey)), {
        code: 'INVALID_PROOF_OF_POSSESSION',
      });
    });

    it(`checks ${c.label} and its proof in one step (EC keys on the proof-of-possession thread), as the CA does`, async () => {
      const { publicKey, privateKey } = c.pair();
      const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const checked = await checkKeyAndProof(pem, NAME, sign(c.hash, Buffer.from(NAME), privateKey));
      assert.ok(checked.spki.equals(publicKey.export({ type: 'spki', format: 'der' })));
      assert.equal(checked.hash, c.hash);
      assert.equal(checked.description, parseClientKey(pem).description);
      for (const proof of [sign(c.hash, Buffer.from('other'), privateKey), Buffer.alloc(0), Buffer.from('not a signature')])
        await assert.rejects(checkKeyAndProof(pem, NAME, proof), { code: 'INVALID_PROOF_OF_POSSESSION' });
    });
  }

  it('checks raw r||s proofs in one step, and refuses a P-384 proof hashed with SHA-256, an off-curve point and garbage', async () => {
    for (const curve of ['prime256v1', 'secp384r1', 'secp521r1']) {
      const ec = generateKeyPairSync('ec', { namedCurve: curve });
      const der = ec.publicKey.export({ type: 'spki', format: 'der' });
      const hash = parseClientKey(der).hash;
      await checkKeyAndProof(der, NAME, sign(hash, Buffer.from(NAME), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
      const offCurve = Buffer.from(der);
      offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1;
      await assert.rejects(checkKeyAndProof(offCurve, NAME, sign(hash, Buffer.from(NAME), ec.privateKey)), reason('INVALID_PUBLIC_KEY', /not on P-/));
      await assert.rejects(checkKeyAndProof(offCurve, NAME, Buffer.alloc(0)), reason('INVALID_PUBLIC_KEY', /not on P-/), 'the key is refused before its proof');
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await assert.rejects(checkKeyAndProof(pem, NAME, sign('sha256', Buffer.from(NAME), ec.privateKey)), { code: 'INVALID_PROOF_OF_POSSESSION' });
    await assert.rejects(checkKeyAndProof('not a key', NAME, Buffer.alloc(0)), { code: 'INVALID_PUBLIC_KEY' });
    await assert.rejects(checkKeyAndProof('', NAME, Buffer.alloc(0)), { code: 'MISSING_PUBLIC_KEY' });
  });

  it('accepts raw r||s ECDSA proofs and PKCS#1 RSA PEM keys, and DER SPKI as a fallback', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = parseClientKey(ec.publicKey.export({ type: 'spki', format: 'der' }));
    await checkProofOfPossession(key, NAME, sign('sha256', Buffer.from(NAME), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = parseClientKey(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    assert.equal(pkcs1.description, 'RSA-2048');
  });

  it('refuses RSA proofs made with PSS and P-384 proofs hashed with SHA-256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = parseClientKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const pss = sign('sha256', Buffer.from(NAME), { key: rsa.privateKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */ });
    await assert.rejects(checkProofOfPossession(key, NAME, pss), { code: 'INVALID_PROOF_OF_POSSESSION' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const k384 = parseClientKey(ec.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    await assert.rejects(checkProofOfPossession(k384, NAME, sign('sha256', Buffer.from(NAME), ec.privateKey)), {
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

describe('ca/client-key: keys whose proof needs no private key, and encodings a certificate must not carry', () => {
  const name = Buffer.from(NAME);

  it('refuses RSA e = 1, whose forged PKCS#1 "proof" really verifies, for PEM keys, DER keys and CSRs', () => {
    const k = rsaKeyWithExponent(1n);
    const node = createPublicKey({ key: k.spki, format: 'der', type: 'spki' });
    assert.ok(verify('sha256', name, node, k.signBytes(name)), 'the forgery is real: node verifies it');
    assert.throws(() => parseClientKey(k.pem), reason('INSECURE_PUBLIC_KEY', /exponent must be odd, at least 3/));
    assert.throws(() => parseClientKey(k.spki), reason('INSECURE_PUBLIC_KEY', /exponent/));
    assert.throws(() => checkCsr(csrPem(k, 'sha256WithRSA')), reason('INSECURE_PUBLIC_KEY', /exponent/));
  });

  it('refuses even and out-of-range RSA exponents and even moduli, and accepts 3 and 65537', () => {
    for (const e of [2n, 4n, 65536n, 2n ** 31n + 1n])
      assert.throws(() => parseClientKey(rsaKeyWithExponent(e).pem), reason('INSECURE_PUBLIC_KEY', new RegExp(`not ${e}$`)));
    for (const e of [3n, 65537n]) assert.equal(parseClientKey(rsaKeyWithExponent(e).pem).description, 'RSA-2048');
    assert.throws(() => parseClientKey(rsaKeyWithExponent(65537n, { evenModulus: true }).pem), reason('INSECURE_PUBLIC_KEY', /modulus is even/));
  });

  it('refuses the Ed25519 identity point, whose all-identity signature really verifies, as a key and in a CSR', () => {
    const k = ed25519IdentityKey();
    const node = createPublicKey({ key: k.spki, format: 'der', type: 'spki' });
    assert.ok(verify(null, name, node, k.signBytes(name)), 'the forgery is real: node verifies it');
    assert.throws(() => parseClientKey(k.pem), reason('INSECURE_PUBLIC_KEY', /small order/));
    assert.throws(() => checkCsr(csrPem(k, 'ed25519')), reason('INSECURE_PUBLIC_KEY', /small order/));
  });

  for (const { label, bytes } of ed25519SmallOrderEncodings())
    it(`refuses the small-order Ed25519 encoding ${label}`, () =>
      assert.throws(() => parseClientKey(ed25519Spki(bytes)), reason('INSECURE_PUBLIC_KEY', /small order/)));

  it('refuses Ed25519 encodings that are not on the curve or not canonical', () => {
    // y = 2 has no x on the curve; y = p + 3 is a non-canonical encoding of a point of large order (y = 3).
    assert.throws(() => parseClientKey(ed25519Spki(ed25519Encoding(2n))), reason('INVALID_PUBLIC_KEY', /not a point/));
    assert.ok(parseClientKey(ed25519Spki(ed25519Encoding(3n))), 'y = 3 is a point of large order');
    assert.throws(() => parseClientKey(ed25519Spki(ed25519Encoding(2n ** 255n - 16n))), reason('INVALID_PUBLIC_KEY', /canonical/));
  });

  it('takes a compressed P-256 point and certifies the uncompressed named-curve SPKI, for keys and CSRs', async () => {
    const k = compressedP256();
    assert.equal(k.spki.length, 59, 'the submitted key really is compressed');
    const key = parseClientKey(k.pem);
    assert.ok(key.spki.equals(k.uncompressedSpki));
    await checkProofOfPossession(key, NAME, Buffer.from(k.prove(NAME), 'base64'));
    assert.ok(checkCsr(csrPem(k, 'ecdsaWithSHA256')).spki.equals(k.uncompressedSpki));
  });

  it('keeps the SPKI of well-formed keys of every accepted type byte for byte', () => {
    for (const c of cases) {
      const spki = c.pair().publicKey.export({ type: 'spki', format: 'der' });
      assert.ok(parseClientKey(spki).spki.equals(spki), c.label);
    }
  });

  it('refuses an uncompressed EC point that is not on its curve, or of the wrong length, for every named curve', () => {
    for (const c of cases.filter((x) => x.label.startsWith('ECDSA'))) {
      const spki = c.pair().publicKey.export({ type: 'spki', format: 'der' });
      const offCurve = Buffer.from(spki);
      offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1; // y + 1 or y - 1: not on the curve
      assert.throws(() => parseClientKey(offCurve), reason('INVALID_PUBLIC_KEY', /not on P-|could not be parsed/), c.label);
      assert.throws(() => parseClientKey(spki.subarray(0, spki.length - 1)), reason('INVALID_PUBLIC_KEY', /strict-DER/), `${c.label} truncated`);
    }
  });

  it('refuses an EC point whose coordinates are zero-padded to another length, as a key and with its proof (the signing route\'s check)', async () => {
    for (const c of cases.filter((x) => x.label.startsWith('ECDSA'))) {
      const { publicKey, privateKey } = c.pair();
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const [algorithm] = children(parse(spki));
      const jwk = publicKey.export({ format: 'jwk' });
      const padded = (v: string | undefined) => Buffer.concat([Buffer.alloc(16), Buffer.from(v ?? '', 'base64url')]);
      const long = sequence(algorithm!.raw, bitString(Buffer.concat([Buffer.of(4), padded(jwk.x), padded(jwk.y)])));
      assert.throws(() => parseClientKey(long), reason('INVALID_PUBLIC_KEY', /strict-DER/), c.label);
      const proof = sign(c.hash, Buffer.from(NAME), privateKey);
      await assert.rejects(checkKeyAndProof(toPem(long, 'PUBLIC KEY'), NAME, proof), reason('INVALID_PUBLIC_KEY', /strict-DER/), `${c.label} with its proof`);
    }
  });

  it('refuses EC keys with explicit curve parameters, as a key and in a CSR', () => {
    const k = explicitParamsP256();
    assert.equal(createPublicKey({ key: k.spki, format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.throws(() => parseClientKey(k.pem), reason('INVALID_PUBLIC_KEY', /explicit curve parameters/));
    assert.throws(() => checkCsr(csrPem(k, 'ecdsaWithSHA256')), reason('INVALID_PUBLIC_KEY', /explicit curve parameters/));
  });

  it('refuses an RSA proof or CSR signature whose leading zero byte was dropped, as Go does (OpenSSL checks the length for PKCS #1 v1.5)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const spki = rsa.publicKey.export({ type: 'spki', format: 'der' });
    // About 1 signature in 256 starts with a zero byte; PKCS#1 v1.5 is deterministic, so vary what is signed.
    const withLeadingZero = <T>(make: (i: number) => { signed: Buffer; value: T }): { value: T; sig: Buffer } => {
      for (let i = 0; i < 10_000; i++) {
        const { signed, value } = make(i);
        const sig = sign('sha256', signed, rsa.privateKey);
        if (sig[0] === 0) return { value, sig };
      }
      throw new Error('no signature with a leading zero byte in 10,000');
    };
    const proof = withLeadingZero((i) => ({ signed: Buffer.from(`${NAME}-${i}`), value: `${NAME}-${i}` }));
    await checkKeyAndProof(pem, proof.value, proof.sig);
    await assert.rejects(checkKeyAndProof(pem, proof.value, proof.sig.subarray(1)), { code: 'INVALID_PROOF_OF_POSSESSION' });
    const csr = withLeadingZero((i) => {
      const info = sequence(smallInteger(0), sequence(set(sequence(encodeOid('2.5.4.3'), utf8String(`csr-${i}`)))), spki, explicit(0, Buffer.alloc(0)));
      return { signed: info, value: info };
    });
    const csrWith = (sig: Buffer) => toPem(sequence(csr.value, sequence(encodeOid('1.2.840.113549.1.1.11'), derNull()), bitString(sig)), 'CERTIFICATE REQUEST');
    assert.equal(checkCsr(csrWith(csr.sig)).description, 'RSA-2048');
    assert.throws(() => checkCsr(csrWith(csr.sig.subarray(1))), reason('INVALID_CSR_SIGNATURE', /could not be verified/));
  });
});
