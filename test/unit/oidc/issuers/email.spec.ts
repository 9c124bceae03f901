import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';

const ISSUER: IssuerConfig = { issuerUrl: 'https://accounts.example.com', clientId: 'sigstore', type: 'email' };

// Fulcio TestAPIWithEmail (fulcio.md §7.2 V6).
const V6 = {
  iss: 'https://accounts.example.com',
  aud: 'sigstore',
  sub: 'foo@example.com',
  email: 'foo@example.com',
  email_verified: true,
} as const;

const rejects = (issuer: IssuerConfig, claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(
    () => mapClaims(issuer, claims),
    (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim,
  );
};

describe('oidc/issuers: email', () => {
  it('maps Fulcio vector V6', () => {
    assert.deepEqual(mapClaims(ISSUER, V6), {
      name: 'foo@example.com',
      san: { kind: 'email', value: 'foo@example.com' },
      extensions: { issuer: 'https://accounts.example.com', subject: 'foo@example.com' },
    });
  });

  it('takes the issuer extension from IssuerClaim (TestAPIWithIssuerClaimConfig)', () => {
    const issuer = { ...ISSUER, issuerClaim: '$.other_issuer' };
    const p = mapClaims(issuer, { ...V6, other_issuer: 'other.issuer.com' });
    assert.equal(p.extensions.issuer, 'other.issuer.com');
    assert.equal(p.extensions.subject, 'foo@example.com');
  });

  it('follows nested IssuerClaim paths (Dex federation)', () => {
    const issuer = { ...ISSUER, issuerClaim: '$.federated_claims.connector_id' };
    const claims = { ...V6, federated_claims: { connector_id: 'https://github.com/login/oauth', user_id: '1' } };
    assert.equal(mapClaims(issuer, claims).extensions.issuer, 'https://github.com/login/oauth');
    assert.equal(mapClaims({ ...ISSUER, issuerClaim: "$['federated_claims']['connector_id']" }, claims).extensions.issuer,
      'https://github.com/login/oauth');
  });

  it('prints non-string IssuerClaim values as Go %v does', () => {
    const issuer = { ...ISSUER, issuerClaim: '$.n' };
    assert.equal(mapClaims(issuer, { ...V6, n: 42 }).extensions.issuer, '42');
    assert.equal(mapClaims(issuer, { ...V6, n: 1000000 }).extensions.issuer, '1e+06');
    assert.equal(mapClaims(issuer, { ...V6, n: true }).extensions.issuer, 'true');
  });

  it('rejects a missing or unusable IssuerClaim value', () => {
    rejects({ ...ISSUER, issuerClaim: '$.other_issuer' }, V6, 'MISSING_CLAIM', '$.other_issuer');
    const fed = { ...ISSUER, issuerClaim: '$.federated_claims.connector_id' };
    rejects(fed, V6, 'MISSING_CLAIM', '$.federated_claims.connector_id');
    rejects(fed, { ...V6, federated_claims: {} }, 'MISSING_CLAIM', '$.federated_claims.connector_id');
    rejects(fed, { ...V6, federated_claims: 'x' }, 'INVALID_CLAIM', '$.federated_claims.connector_id');
    rejects(fed, { ...V6, federated_claims: { connector_id: { a: 1 } } }, 'INVALID_CLAIM', '$.federated_claims.connector_id');
  });

  it('requires a non-empty email claim', () => {
    const { email: _e, ...rest } = V6;
    rejects(ISSUER, rest, 'MISSING_CLAIM', 'email');
    rejects(ISSUER, { ...V6, email: '' }, 'MISSING_CLAIM', 'email');
    rejects(ISSUER, { ...V6, email: 7 }, 'INVALID_CLAIM', 'email');
  });

  for (const v of [true, 'true', 'True']) {
    it(`accepts email_verified ${JSON.stringify(v)}`, () => {
      assert.equal(mapClaims(ISSUER, { ...V6, email_verified: v }).name, 'foo@example.com');
    });
  }

  for (const v of [false, 'false', 'False', undefined]) {
    it(`rejects email_verified ${v === undefined ? '(missing)' : JSON.stringify(v)} unless SkipEmailVerification`, () => {
      const claims = { ...V6, email_verified: v };
      assert.throws(() => mapClaims(ISSUER, claims), (e: unknown) => isFulgorError(e) && e.code === 'EMAIL_NOT_VERIFIED');
      assert.equal(mapClaims({ ...ISSUER, skipEmailVerification: true }, claims).name, 'foo@example.com');
    });
  }

  for (const v of [1, 'yes', 'TRUE', null, {}]) {
    it(`rejects email_verified ${JSON.stringify(v)} as invalid`, () => {
      rejects(ISSUER, { ...V6, email_verified: v }, 'INVALID_CLAIM', 'email_verified');
      rejects({ ...ISSUER, skipEmailVerification: true }, { ...V6, email_verified: v }, 'INVALID_CLAIM', 'email_verified');
    });
  }

  for (const email of ['foo', 'foo@', '@example.com', 'foo@example', 'foo bar@example.com', 'foo@-example.com', 'foo@exa mple.com', 'föö@example.com', 'foo@example.c0']) {
    it(`rejects the invalid address ${JSON.stringify(email)}`, () => {
      rejects(ISSUER, { ...V6, email }, 'INVALID_CLAIM', 'email');
    });
  }

  for (const email of ['a@b.co', 'first.last+tag@sub.example.com', "o'brien@example.ie", 'x@example.com.', '"quoted local"@example.com']) {
    it(`accepts the address ${JSON.stringify(email)}`, () => {
      assert.equal(mapClaims(ISSUER, { ...V6, email }).san.value, email);
    });
  }

  it('checks verification before syntax, as Fulcio does', () => {
    assert.throws(() => mapClaims(ISSUER, { ...V6, email: 'bad', email_verified: false }),
      (e: unknown) => isFulgorError(e) && e.code === 'EMAIL_NOT_VERIFIED');
  });
});
