import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';

const ISS = 'https://issuer.enforce.dev';
const ISSUER: IssuerConfig = { issuerUrl: ISS, clientId: 'sigstore', type: 'chainguard-identity' };
const GROUP = '3f7a2c1e9b0d4a5c6e7f8091a2b3c4d5e6f70819';
const ID = `${GROUP}/9a8b7c6d5e4f3a2b`;

// Fulcio chainguard TestJobPrincipalFromIDToken / TestEmbed (fulcio.md §7.2 V11).
const SERVICE_PRINCIPAL = {
  iss: ISS,
  sub: ID,
  act: { iss: 'https://iss.example.com/', sub: `catalog-syncer:${GROUP}`, aud: 'chainguard' },
  internal: { 'service-principal': 'CATALOG_SYNCER' },
};
const HUMAN = { iss: ISS, sub: GROUP, act: { iss: 'https://auth.chainguard.dev/', sub: 'google-oauth2|1234567890', aud: 'fdsaldfkjhasldf' } };

const rejects = (claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(() => mapClaims(ISSUER, claims), (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim);
};

describe('oidc/issuers: chainguard-identity', () => {
  it('maps a service principal token: SAN = iss JoinPath sub, name = sub', () => {
    assert.deepEqual(mapClaims(ISSUER, SERVICE_PRINCIPAL), {
      name: ID,
      san: { kind: 'uri', value: `${ISS}/${ID}` },
      extensions: { issuer: ISS, subject: ID },
    });
  });

  it('maps a human SSO token without email: name = sub', () => {
    const p = mapClaims(ISSUER, HUMAN);
    assert.equal(p.name, GROUP);
    assert.equal(p.san.value, `${ISS}/${GROUP}`);
  });

  it('names the principal by a verified email when present (what cosign signs)', () => {
    for (const verified of [true, 'true', 'True']) {
      const p = mapClaims(ISSUER, { ...HUMAN, email: 'jane@doe.dev', email_verified: verified });
      assert.equal(p.name, 'jane@doe.dev');
      assert.deepEqual(p.san, { kind: 'uri', value: `${ISS}/${GROUP}` });
      assert.deepEqual(p.extensions, { issuer: ISS, subject: GROUP });
    }
  });

  it('refuses an email that is not verified', () => {
    rejects({ ...HUMAN, email: 'jane@doe.dev' }, 'EMAIL_NOT_VERIFIED', 'email_verified');
    rejects({ ...HUMAN, email: 'jane@doe.dev', email_verified: false }, 'EMAIL_NOT_VERIFIED', 'email_verified');
    rejects({ ...HUMAN, email: 'jane@doe.dev', email_verified: 'False' }, 'EMAIL_NOT_VERIFIED', 'email_verified');
    rejects({ ...HUMAN, email: 'jane@doe.dev', email_verified: 'yes' }, 'INVALID_CLAIM', 'email_verified');
    rejects({ ...HUMAN, email: 'jane@doe.dev', email_verified: null }, 'INVALID_CLAIM', 'email_verified');
  });

  it('ignores email_verified when there is no email', () => {
    assert.equal(mapClaims(ISSUER, { ...HUMAN, email_verified: false }).name, GROUP);
    assert.equal(mapClaims(ISSUER, { ...HUMAN, email: '', email_verified: false }).name, GROUP);
  });

  it('joins with url.JoinPath: the issuer path is kept and . / .. segments are cleaned', () => {
    const issuer = 'https://issuer.example.com/tenant/';
    assert.equal(mapClaims(ISSUER, { iss: issuer, sub: 'a/./b/../c' }).san.value, 'https://issuer.example.com/tenant/a/c');
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: '../../etc' }).san.value, `${ISS}/etc`);
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 'a b?c' }).san.value, `${ISS}/a%20b%3Fc`);
  });

  it('rejects the claims Fulcio decodes when they have the wrong type', () => {
    rejects({ ...HUMAN, act: 'x' }, 'INVALID_CLAIM', 'act');
    rejects({ ...HUMAN, act: { sub: 1 } }, 'INVALID_CLAIM', 'act');
    rejects({ ...HUMAN, internal: [] }, 'INVALID_CLAIM', 'internal');
    rejects({ ...HUMAN, internal: { 'service-principal': 5 } }, 'INVALID_CLAIM', 'internal');
    rejects({ ...HUMAN, email: 5 }, 'INVALID_CLAIM', 'email');
    rejects({ ...HUMAN, sub: { id: 1 } }, 'INVALID_CLAIM', 'sub');
  });

  it('requires sub (even with a verified email) and iss', () => {
    rejects({ iss: ISS }, 'MISSING_CLAIM', 'sub');
    rejects({ iss: ISS, email: 'jane@doe.dev', email_verified: true }, 'MISSING_CLAIM', 'sub');
    rejects({ sub: GROUP }, 'MISSING_CLAIM', 'iss');
  });
});
