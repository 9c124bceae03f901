// The identity token's JWS checks against a real local issuer (discovery + JWKS over HTTP) that advertises and
// publishes whatever a test says: every algorithm Fulcio accepts verifies; algorithm confusion, alg none, a DER
// ECDSA signature, a PSS salt of the wrong length, a key of the wrong type or curve, a tampered payload, a signature
// of the wrong length and the `crit` header are refused with the reasons jose's jwtVerify gave them. Tokens are
// signed with jose (WebCrypto) or by hand with node:crypto, never by the code under test.
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, sign as nodeSign, constants, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { createTokenVerifier, type TokenVerifier } from '../../oidc/token-verifier.js';

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

interface Issuer {
  readonly url: string;
  algorithms: string[];
  keys: JWK[];
  jwksFetches: number;
  close(): Promise<void>;
}

/** A local issuer whose discovery document advertises `algorithms` and whose JWKS is `keys`. */
async function startIssuer(): Promise<Issuer> {
  const server = createServer((req, res) => {
    const body = req.url?.endsWith('/.well-known/openid-configuration')
      ? { issuer: issuer.url, jwks_uri: `${issuer.url}/keys`, id_token_signing_alg_values_supported: issuer.algorithms, response_types_supported: ['id_token'], subject_types_supported: ['public'] }
      : req.url?.endsWith('/keys')
        ? (issuer.jwksFetches++, { keys: issuer.keys })
        : undefined;
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const issuer: Issuer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oidc`,
    algorithms: [],
    keys: [],
    jwksFetches: 0,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  return issuer;
}

const jwkOf = async (key: KeyObject, alg: string): Promise<JWK> => {
  const jwk = await exportJWK(createPublicKey(key));
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' };
};

const HASH: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };
const CURVE_BYTES: Record<string, number> = { ES256: 32, ES384: 48, ES512: 66 };

/** The JWS signature of `input` by `key` for `alg`, made with node:crypto's signing (so not by the code verifying it). */
function signature(alg: string, key: KeyObject, input: Buffer, o: { der?: boolean; saltLength?: number } = {}): Buffer {
  const hash = HASH[alg.slice(2)];
  if (alg === 'EdDSA') return nodeSign(null, input, key);
  if (alg.startsWith('RS')) return nodeSign(hash!, input, key);
  if (alg.startsWith('PS'))
    return nodeSign(hash!, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: o.saltLength ?? Number(alg.slice(2)) / 8 });
  const sig = nodeSign(hash!, input, { key, dsaEncoding: o.der ? 'der' : 'ieee-p1363' });
  if (!o.der) assert.equal(sig.length, 2 * CURVE_BYTES[alg]!);
  return sig;
}

interface TokenParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const compact = ({ header, claims }: TokenParts, sign: (input: Buffer) => Buffer): string => {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${b64u(sign(Buffer.from(input)))}`;
};

describe('oidc/token-verifier: JWS signatures and algorithms against a real local issuer', function () {
  this.timeout(30_000);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
  const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey;
  const ed25519 = generateKeyPairSync('ed25519').privateKey;
  const keyFor: Record<string, KeyObject> = {
    RS256: rsa, RS384: rsa, RS512: rsa, PS256: rsa, PS384: rsa, PS512: rsa, ES256: p256, ES384: p384, ES512: p521, EdDSA: ed25519,
  };
  let issuer: Issuer;
  let verifier: TokenVerifier;
  let kids: Map<KeyObject, string>;
  let now: number;

  before(async () => {
    issuer = await startIssuer();
    // Each key is published once per algorithm it may sign with (jose's lookup matches a JWK's alg when it names one).
    issuer.algorithms = Object.keys(keyFor);
    issuer.keys = await Promise.all(Object.entries(keyFor).map(([alg, key]) => jwkOf(key, alg)));
    kids = new Map(issuer.keys.map((k, i) => [Object.values(keyFor)[i]!, k.kid!]));
  });
  after(() => issuer.close());
  beforeEach(() => {
    now = Math.floor(Date.now() / 1000);
    const config = parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'email' } } }));
    verifier = createTokenVerifier(config, { clock: () => new Date(now * 1000), jwksCooldownMs: 0 });
  });

  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: issuer.url, aud: 'sigstore', sub: 'dev', email: 'dev@example.com', email_verified: true, iat: now, exp: now + 600, ...extra,
  });
  const parts = (alg: string, o: { kid?: string; header?: Record<string, unknown>; claims?: Record<string, unknown> } = {}): TokenParts => ({
    header: { alg, typ: 'JWT', kid: o.kid ?? kids.get(keyFor[alg]!), ...o.header },
    claims: claims(o.claims),
  });
  const token = (alg: string, o: Parameters<typeof parts>[1] & { der?: boolean; saltLength?: number } = {}) =>
    compact(parts(alg, o), (input) => signature(alg, keyFor[alg]!, input, o));
  const refused = (t: string, code: string, message?: RegExp) => assert.rejects(verifier.verify(t), { code, ...(message ? { message } : {}) });

  it('verifies every algorithm Fulcio accepts, each against its own key, and returns the claims', async () => {
    for (const alg of Object.keys(keyFor)) {
      const { claims: c } = await verifier.verify(token(alg));
      assert.equal(c['email'], 'dev@example.com', alg);
    }
    assert.equal(issuer.jwksFetches, 1);
  });

  it('refuses alg confusion: HS256 keyed with the issuer’s RSA public key (PEM, DER or JWK), even when advertised', async () => {
    const pub = createPublicKey(rsa);
    const secrets = [pub.export({ type: 'spki', format: 'pem' }), pub.export({ type: 'spki', format: 'der' }), JSON.stringify(issuer.keys[0])];
    for (const secret of secrets) {
      const hs = compact(parts('HS256', { kid: kids.get(rsa) }), (input) => createHmac('sha256', secret).update(input).digest());
      await refused(hs, 'UNSUPPORTED_TOKEN_ALGORITHM');
    }
    issuer.algorithms = [...Object.keys(keyFor), 'HS256'];
    try {
      const advertised = createTokenVerifier(parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'email' } } })), { clock: () => new Date(now * 1000) });
      const hs = compact(parts('HS256', { kid: kids.get(rsa) }), (input) => createHmac('sha256', secrets[0]!).update(input).digest());
      await assert.rejects(advertised.verify(hs), { code: 'UNSUPPORTED_TOKEN_ALGORITHM' });
    } finally {
      issuer.algorithms = Object.keys(keyFor);
    }
  });

  it('refuses alg none (an empty signature, or any signature), and unknown algorithms', async () => {
    const unsigned = parts('none');
    await refused(compact(unsigned, () => Buffer.alloc(0)), 'UNSUPPORTED_TOKEN_ALGORITHM');
    await refused(compact(unsigned, (input) => signature('RS256', rsa, input)), 'UNSUPPORTED_TOKEN_ALGORITHM');
    for (const alg of ['NONE', 'Ed25519', 'ES256K', 'RS1', 'ML-DSA-44', 'HS512'])
      await refused(compact(parts(alg, { kid: kids.get(rsa) }), (input) => signature('RS256', rsa, input)), 'UNSUPPORTED_TOKEN_ALGORITHM', undefined);
  });

  it('refuses an ECDSA signature in DER (ASN.1) instead of raw r||s, for each curve', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512']) {
      await refused(token(alg, { der: true }), 'INVALID_TOKEN_SIGNATURE');
      assert.ok(await verifier.verify(token(alg)), alg);
    }
  });

  it('verifies PS256/384/512 only with a salt as long as the hash, and refuses RS-signed bytes labelled PS', async () => {
    for (const alg of ['PS256', 'PS384', 'PS512']) {
      assert.ok(await verifier.verify(token(alg, { saltLength: Number(alg.slice(2)) / 8 })));
      await refused(token(alg, { saltLength: 20 }), 'INVALID_TOKEN_SIGNATURE');
      await refused(token(alg, { saltLength: 0 }), 'INVALID_TOKEN_SIGNATURE');
      const labelled = compact(parts(alg), (input) => signature(`RS${alg.slice(2)}`, rsa, input));
      await refused(labelled, 'INVALID_TOKEN_SIGNATURE');
    }
    // And the other way round: a PSS signature labelled RS256.
    await refused(compact(parts('RS256'), (input) => signature('PS256', rsa, input)), 'INVALID_TOKEN_SIGNATURE');
  });

  it('refuses a token whose alg does not fit the key its kid names (type or curve), after a refetch', async () => {
    const cases: [string, KeyObject, string][] = [
      ['ES256', rsa, 'RS256'], // an RSA key for ECDSA
      ['RS256', p256, 'ES256'], // an EC key for RSA
      ['ES256', p384, 'ES384'], // a P-384 key for ES256
      ['ES384', p256, 'ES256'],
      ['EdDSA', p256, 'ES256'],
      ['PS256', p256, 'ES256'],
    ];
    assert.ok(await verifier.verify(token('RS256')), 'the issuer is discovered and its key set fetched');
    for (const [alg, key, signedAs] of cases) {
      const before = issuer.jwksFetches;
      const t = compact(parts(alg, { kid: kids.get(key) }), (input) => signature(signedAs, key, input));
      await refused(t, 'INVALID_TOKEN_SIGNATURE');
      assert.equal(issuer.jwksFetches, before + 1, `${alg} with a ${signedAs} key: no key matched, so the set was fetched again`);
    }
    // A key published without alg and kid is found by its type alone; it must still fit the alg.
    const bare = await exportJWK(createPublicKey(p256));
    const saved = issuer.keys;
    issuer.keys = [bare];
    try {
      const v = createTokenVerifier(parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'email' } } })), { clock: () => new Date(now * 1000) });
      const noKid = (alg: string, signedAs: string, key: KeyObject) =>
        compact({ header: { alg }, claims: claims() }, (input) => signature(signedAs, key, input));
      assert.ok(await v.verify(noKid('ES256', 'ES256', p256)));
      await assert.rejects(v.verify(noKid('ES384', 'ES384', p384)), { code: 'INVALID_TOKEN_SIGNATURE' });
      await assert.rejects(v.verify(noKid('RS256', 'RS256', rsa)), { code: 'INVALID_TOKEN_SIGNATURE' });
    } finally {
      issuer.keys = saved;
    }
  });

  it('refuses a tampered payload or header, and a signature by another key under the same kid', async () => {
    const good = token('RS256');
    const [h, , s] = good.split('.');
    const forged = b64u(JSON.stringify(claims({ email: 'admin@example.com' })));
    await refused(`${h}.${forged}.${s}`, 'INVALID_TOKEN_SIGNATURE');
    const header = b64u(JSON.stringify({ alg: 'RS256', kid: kids.get(rsa) })); // typ dropped
    await refused(`${header}.${good.split('.')[1]}.${s}`, 'INVALID_TOKEN_SIGNATURE');
    const others: [string, KeyObject][] = [
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey],
      ['EdDSA', generateKeyPairSync('ed25519').privateKey],
      ['PS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ];
    for (const [alg, other] of others) await refused(compact(parts(alg), (input) => signature(alg, other, input)), 'INVALID_TOKEN_SIGNATURE');
  });

  it('refuses a token whose issuer key is too weak for its alg (RSA under 2048 bits) with a 401 reason, not a 500', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const jwk = await jwkOf(weak, 'RS256');
    issuer.keys = [...issuer.keys, jwk];
    try {
      const t = compact(parts('RS256', { kid: jwk.kid! }), (input) => signature('RS256', weak, input));
      await refused(t, 'INVALID_TOKEN_SIGNATURE', /at least 2048 bits/);
    } finally {
      issuer.keys = issuer.keys.filter((k) => k !== jwk);
    }
  });

  it('refuses signatures of the wrong length (one byte short or long, empty) for each key type', async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES512', 'EdDSA']) {
      const sig = (mutate: (s: Buffer) => Buffer) => compact(parts(alg), (input) => mutate(signature(alg, keyFor[alg]!, input)));
      await refused(sig((s) => s.subarray(1)), 'INVALID_TOKEN_SIGNATURE');
      await refused(sig((s) => Buffer.concat([s, Buffer.of(0)])), 'INVALID_TOKEN_SIGNATURE');
      await refused(sig((s) => Buffer.concat([Buffer.of(0), s])), 'INVALID_TOKEN_SIGNATURE');
      await refused(sig(() => Buffer.alloc(0)), 'INVALID_TOKEN_SIGNATURE');
    }
    // Not base64url at all: malformed, as jose said.
    await refused(`${token('RS256').split('.').slice(0, 2).join('.')}.a+b/`, 'MALFORMED_TOKEN');
  });

  it('refuses an RSA signature whose leading zero byte was dropped (OpenSSL verifies such a PSS one; RFC 8017 and Go refuse it)', async () => {
    for (const alg of ['RS256', 'PS256']) {
      // About 1 signature in 256 starts with a zero byte: sign tokens that differ in one claim until one does.
      let found: string | undefined;
      for (let i = 0; found === undefined && i < 10_000; i++) {
        const t = compact(parts(alg, { claims: { nonce: String(i) } }), (input) => signature(alg, keyFor[alg]!, input));
        const sig = Buffer.from(t.split('.')[2]!, 'base64url');
        if (sig[0] === 0) found = `${t.split('.').slice(0, 2).join('.')}.${b64u(sig.subarray(1))}`;
      }
      assert.ok(found, `no ${alg} signature with a leading zero byte in 10,000`);
      await refused(found, 'INVALID_TOKEN_SIGNATURE');
    }
  });

  it('applies the crit header as jose does: b64 only, and a JWT’s payload must be encoded', async () => {
    const rs = (header: Record<string, unknown>) => token('RS256', { header });
    await refused(rs({ crit: ['exp'], exp: now + 600 }), 'UNSUPPORTED_TOKEN_ALGORITHM', /"exp" critical/);
    await refused(rs({ crit: ['b64', 'x5u'], b64: true, x5u: 'https://example.com' }), 'UNSUPPORTED_TOKEN_ALGORITHM');
    for (const crit of ['b64', [], [''], [1], null]) await refused(rs({ crit, b64: true }), 'MALFORMED_TOKEN', /"crit"/);
    await refused(rs({ crit: ['b64'] }), 'MALFORMED_TOKEN', /has no "b64"/);
    await refused(rs({ crit: ['b64'], b64: 'false' }), 'MALFORMED_TOKEN', /"b64" is not a boolean/);
    // b64: false is refused only once the signature is good (as jose did); a bad one is a bad signature first.
    await refused(rs({ crit: ['b64'], b64: false }), 'MALFORMED_TOKEN', /not base64url-encoded/);
    const [h, p] = rs({ crit: ['b64'], b64: false }).split('.');
    await refused(`${h}.${p}.${b64u(Buffer.alloc(256))}`, 'INVALID_TOKEN_SIGNATURE');
    assert.ok(await verifier.verify(rs({ crit: ['b64'], b64: true })));
    assert.ok(await verifier.verify(rs({ b64: false })), 'b64 without crit is ignored, as RFC 7797 §6 says');
  });

  it('decodes segments as jose does: "=" padding and whitespace pass, "+" and "/" do not', async () => {
    const [h, p] = token('RS256').split('.');
    const pad = (s: string) => s + '='.repeat((4 - (s.length % 4)) % 4);
    const padded = `${pad(h!)}.${pad(p!)}`;
    const signed = `${padded}.${b64u(signature('RS256', rsa, Buffer.from(padded)))}`;
    if (padded !== `${h}.${p}`) assert.ok(await verifier.verify(signed), 'padded segments, signed as sent');
    const spaced = `${h!.slice(0, 4)} ${h!.slice(4)}.${p}`;
    assert.ok(await verifier.verify(`${spaced}.${b64u(signature('RS256', rsa, Buffer.from(spaced)))}`), 'whitespace inside a segment');
    const plus = `${h!.replace(/-/g, '+').replace(/_/g, '/')}`;
    if (plus !== h) await refused(`${plus}.${p}.${b64u(signature('RS256', rsa, Buffer.from(`${plus}.${p}`)))}`, 'MALFORMED_TOKEN');
    const bom = `${b64u(Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from(JSON.stringify(parts('RS256').header))]))}.${p}`;
    assert.ok(await verifier.verify(`${bom}.${b64u(signature('RS256', rsa, Buffer.from(bom)))}`), 'a leading byte-order mark is dropped');
    const latin1 = `${b64u(Buffer.from(JSON.stringify({ ...parts('RS256').header, x: 'é' }), 'latin1'))}.${p}`;
    await refused(`${latin1}.${b64u(signature('RS256', rsa, Buffer.from(latin1)))}`, 'MALFORMED_TOKEN', /header/);
  });

  it('checks the registered claims after the signature, in jose’s order, with no exp leeway and 5 min for nbf/iat', async () => {
    const rs = (c: Record<string, unknown>) => token('RS256', { claims: c });
    assert.ok(await verifier.verify(rs({ aud: ['other', 'sigstore'] })));
    await refused(rs({ aud: ['other'] }), 'AUDIENCE_MISMATCH');
    await refused(rs({ aud: 'Sigstore' }), 'AUDIENCE_MISMATCH');
    await refused(rs({ aud: { sigstore: true } }), 'AUDIENCE_MISMATCH');
    await refused(rs({ aud: undefined }), 'MISSING_CLAIM', /"aud"/);
    await refused(rs({ exp: undefined }), 'MISSING_CLAIM', /"exp"/);
    await refused(rs({ aud: undefined, exp: undefined }), 'MISSING_CLAIM', /"aud"/);
    await refused(rs({ aud: 'other', exp: now - 1 }), 'AUDIENCE_MISMATCH', undefined);
    await refused(rs({ exp: now }), 'TOKEN_EXPIRED');
    assert.ok(await verifier.verify(rs({ exp: now + 1 })));
    assert.ok(await verifier.verify(rs({ nbf: now + 300, iat: now + 300 })));
    await refused(rs({ nbf: now + 301 }), 'TOKEN_NOT_YET_VALID', /nbf/);
    await refused(rs({ iat: now + 301 }), 'TOKEN_NOT_YET_VALID', /iat/);
    await refused(rs({ nbf: now + 301, exp: now - 1 }), 'TOKEN_NOT_YET_VALID', /nbf/);
    await refused(rs({ exp: now - 1, iat: now + 301 }), 'TOKEN_EXPIRED');
    await refused(rs({ exp: String(now + 600) }), 'INVALID_CLAIM');
    // A bad signature is reported before any claim.
    const expired = rs({ exp: now - 1 }).split('.');
    await refused(`${expired[0]}.${expired[1]}.${b64u(Buffer.alloc(256, 1))}`, 'INVALID_TOKEN_SIGNATURE');
  });
});
