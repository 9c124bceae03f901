// server/request.ts: Fulcio v2 and legacy v1 request bodies in protobuf-JSON (camelCase or proto names, null is
// absent, bytes in standard or URL-safe base64), the token from the body or Authorization, and a PEM key with its
// proof or a CSR. Every malformed shape ends in its reason code, never in a TypeError.
import assert from 'node:assert/strict';
import { FulgorError, type ReasonCode } from '../../../lib/errors.js';
import { parseV1Request, parseV2Request, tokenFromAuthorization } from '../../../server/request.js';

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
const CSR_PEM = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
const PROOF = Buffer.from([0xfb, 0xff, 0xfe, 0x01, 0x02]); // base64 "+//+AQI=", URL-safe "-__-AQI"
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

const v2 = (o: { token?: unknown; content?: unknown; proof?: unknown } = {}) => ({
  credentials: { oidcIdentityToken: 'token' in o ? o.token : 'tok' },
  publicKeyRequest: {
    publicKey: { algorithm: 'ECDSA', content: 'content' in o ? o.content : PEM },
    proofOfPossession: 'proof' in o ? o.proof : PROOF.toString('base64'),
  },
});

function refuses(code: ReasonCode, fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FulgorError, `a FulgorError, not ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('server/request: Fulcio signing requests', () => {
  describe('the token', () => {
    it('comes from credentials.oidcIdentityToken (or oidc_identity_token)', () => {
      assert.equal(parseV2Request(v2({ token: 'from-body' }), undefined).token, 'from-body');
      const snake = { credentials: { oidc_identity_token: 'snake' }, public_key_request: v2().publicKeyRequest };
      assert.equal(parseV2Request(snake, undefined).token, 'snake');
    });

    it('comes from Authorization: Bearer when the body has none, and the body wins when both do', () => {
      assert.equal(parseV2Request(v2({ token: undefined }), 'Bearer from-header').token, 'from-header');
      assert.equal(parseV2Request(v2({ token: '' }), 'Bearer from-header').token, 'from-header');
      assert.equal(parseV2Request(v2({ token: null }), 'Bearer from-header').token, 'from-header');
      assert.equal(parseV2Request(v2({ token: 'from-body' }), 'Bearer from-header').token, 'from-body');
    });

    it('drops the first "Bearer " only, case-sensitively, as Fulcio does; a bare header is the token', () => {
      assert.equal(tokenFromAuthorization('Bearer abc'), 'abc');
      assert.equal(tokenFromAuthorization('abc'), 'abc');
      assert.equal(tokenFromAuthorization('bearer abc'), 'bearer abc');
      assert.equal(tokenFromAuthorization('Bearer Bearer abc'), 'Bearer abc');
      assert.equal(tokenFromAuthorization(undefined), '');
    });

    it('v1 reads it from Authorization only', () => {
      const v1 = { publicKey: { content: b64(PEM) }, signedEmailAddress: PROOF.toString('base64'), credentials: { oidcIdentityToken: 'ignored' } };
      assert.equal(parseV1Request(v1, 'Bearer v1-token').token, 'v1-token');
      refuses('MISSING_TOKEN', () => parseV1Request(v1, undefined));
    });
  });

  describe('the key', () => {
    it('a PEM public key with its proof (standard or URL-safe base64, padded or not)', () => {
      for (const proof of [PROOF.toString('base64'), '-__-AQI', '-__-AQI=']) {
        const req = parseV2Request(v2({ proof }), undefined);
        assert.deepEqual(req.key, { kind: 'publicKey', content: PEM, proof: PROOF });
      }
    });

    it('proto field names and null as absent', () => {
      const body = {
        credentials: { oidc_identity_token: 'tok' },
        certificate_signing_request: null,
        public_key_request: { public_key: { content: PEM, algorithm: null }, proof_of_possession: PROOF.toString('base64') },
      };
      assert.deepEqual(parseV2Request(body, undefined).key, { kind: 'publicKey', content: PEM, proof: PROOF });
    });

    it('a CSR (base64 of its PEM) wins over a public key request', () => {
      const req = parseV2Request({ ...v2(), certificateSigningRequest: b64(CSR_PEM) }, undefined);
      assert.deepEqual(req, { token: 'tok', key: { kind: 'csr', pem: CSR_PEM } });
    });

    it('an absent proof is empty bytes (the proof check refuses it later, with the key known)', () => {
      assert.deepEqual(parseV2Request(v2({ proof: undefined }), undefined).key, { kind: 'publicKey', content: PEM, proof: Buffer.alloc(0) });
    });

    it('v1: publicKey.content is base64 bytes, the proof is signedEmailAddress, or a CSR', () => {
      const v1 = parseV1Request({ publicKey: { content: b64(PEM), algorithm: 'ecdsa' }, signedEmailAddress: PROOF.toString('base64') }, 'Bearer t');
      assert.equal(v1.key.kind, 'publicKey');
      assert.ok(v1.key.kind === 'publicKey' && Buffer.isBuffer(v1.key.content) && v1.key.content.equals(Buffer.from(PEM)));
      assert.ok(v1.key.kind === 'publicKey' && v1.key.proof.equals(PROOF));
      assert.deepEqual(parseV1Request({ certificateSigningRequest: b64(CSR_PEM) }, 'Bearer t').key, { kind: 'csr', pem: CSR_PEM });
    });
  });

  describe('every malformed shape has its reason code', () => {
    const V2: ReadonlyArray<readonly [string, unknown, ReasonCode, RegExp?]> = [
      ['an array body', [1, 2], 'BAD_REQUEST', /must be a JSON object/],
      ['a string body', 'token', 'BAD_REQUEST', /must be a JSON object/],
      ['a number body', 42, 'BAD_REQUEST', /must be a JSON object/],
      ['credentials as a string', { credentials: 'tok' }, 'BAD_REQUEST', /^credentials must be an object/],
      ['credentials as an array', { credentials: ['tok'] }, 'BAD_REQUEST', /^credentials must be an object/],
      ['a numeric token', v2({ token: 42 }), 'BAD_REQUEST', /^credentials\.oidcIdentityToken must be a string/],
      ['publicKeyRequest as an array', { credentials: { oidcIdentityToken: 't' }, publicKeyRequest: [] }, 'BAD_REQUEST', /^publicKeyRequest must be an object/],
      ['publicKey as a string', { credentials: { oidcIdentityToken: 't' }, publicKeyRequest: { publicKey: PEM } }, 'BAD_REQUEST', /^publicKeyRequest\.publicKey must be an object/],
      ['numeric key content', v2({ content: 7 }), 'BAD_REQUEST', /^publicKeyRequest\.publicKey\.content must be a string/],
      ['a numeric proof', v2({ proof: 7 }), 'BAD_REQUEST', /^publicKeyRequest\.proofOfPossession must be a string/],
      ['a proof that is not base64', v2({ proof: 'not base64!' }), 'BAD_REQUEST', /^publicKeyRequest\.proofOfPossession is not valid base64/],
      ['a CSR that is not base64', { credentials: { oidcIdentityToken: 't' }, certificateSigningRequest: CSR_PEM }, 'BAD_REQUEST', /^certificateSigningRequest is not valid base64/],
      ['a numeric CSR', { credentials: { oidcIdentityToken: 't' }, certificateSigningRequest: 1 }, 'BAD_REQUEST', /^certificateSigningRequest must be a string/],
      ['no body at all', undefined, 'MISSING_TOKEN'],
      ['null', null, 'MISSING_TOKEN'],
      ['an empty object', {}, 'MISSING_TOKEN'],
      ['a key and no token', v2({ token: undefined }), 'MISSING_TOKEN'],
      ['a token and no key', { credentials: { oidcIdentityToken: 't' } }, 'MISSING_PUBLIC_KEY'],
      ['an empty publicKeyRequest', { credentials: { oidcIdentityToken: 't' }, publicKeyRequest: {} }, 'MISSING_PUBLIC_KEY'],
      ['empty key content', v2({ content: '' }), 'MISSING_PUBLIC_KEY'],
      ['an empty CSR and no key', { credentials: { oidcIdentityToken: 't' }, certificateSigningRequest: '' }, 'MISSING_PUBLIC_KEY'],
    ];
    for (const [what, body, code, message] of V2) it(`v2: ${what} → ${code}`, () => refuses(code, () => parseV2Request(body, undefined), message));

    const V1: ReadonlyArray<readonly [string, unknown, string | undefined, ReasonCode, RegExp?]> = [
      ['no key (checked before the token)', {}, undefined, 'MISSING_PUBLIC_KEY'],
      ['publicKey as a string', { publicKey: PEM }, 'Bearer t', 'BAD_REQUEST', /^publicKey must be an object/],
      ['content that is not base64', { publicKey: { content: PEM } }, 'Bearer t', 'BAD_REQUEST', /^publicKey\.content is not valid base64/],
      ['a proof that is not base64', { publicKey: { content: b64(PEM) }, signedEmailAddress: '%%' }, 'Bearer t', 'BAD_REQUEST', /^signedEmailAddress is not valid base64/],
      ['a key and no Authorization', { publicKey: { content: b64(PEM) } }, undefined, 'MISSING_TOKEN'],
      ['an array body', [], 'Bearer t', 'BAD_REQUEST'],
    ];
    for (const [what, body, auth, code, message] of V1) it(`v1: ${what} → ${code}`, () => refuses(code, () => parseV1Request(body, auth), message));
  });
});
