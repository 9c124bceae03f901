import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';

const ISS = 'https://accounts.example.com';
const ISSUER: IssuerConfig = { issuerUrl: ISS, clientId: 'sigstore', type: 'username', subjectDomain: 'example.com' };

const rejects = (claims: Record<string, unknown>, code: string, claim?: string, issuer = ISSUER): void => {
  assert.throws(
    () => mapClaims(issuer, claims),
    (e: unknown) => isFulgorError(e) && e.code === code && (claim === undefined || e.metadata['claim'] === claim),
  );
};

describe('oidc/issuers: username', () => {
  it('maps Fulcio vector V7: an otherName SAN "sub!SubjectDomain", .24 and the name are the bare username', () => {
    assert.deepEqual(mapClaims(ISSUER, { iss: ISS, sub: 'alice' }), {
      name: 'alice',
      san: { kind: 'otherName', value: 'alice!example.com' },
      extensions: { issuer: ISS, subject: 'alice' },
    });
  });

  const refused: [string, string][] = [
    ['alice!', 'contains "!"'],
    ['!alice', 'contains "!"'],
    ['alice!example.com', 'already qualified'],
    ['alice@example.com', 'an email address'],
    ['"a b"@example.com', 'a quoted email address'],
    ['jöhn@exämple.com', 'a non-ASCII email address'],
  ];
  for (const [sub, why] of refused) {
    it(`refuses ${JSON.stringify(sub)} (${why})`, () => rejects({ iss: ISS, sub }, 'INVALID_CLAIM', 'sub'));
  }

  it('accepts usernames that are not email addresses, including non-ASCII ones', () => {
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 'alice@localhost' }).san.value, 'alice@localhost!example.com');
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 'jöhn' }).san.value, 'jöhn!example.com');
    assert.equal(mapClaims(ISSUER, { iss: ISS, sub: 'https://x.example.com/a' }).san.value, 'https://x.example.com/a!example.com');
  });

  it('requires sub (Fulcio would issue "!example.com") and iss', () => {
    rejects({ iss: ISS }, 'MISSING_CLAIM', 'sub');
    rejects({ iss: ISS, sub: '' }, 'MISSING_CLAIM', 'sub');
    rejects({ iss: ISS, sub: 1 }, 'INVALID_CLAIM', 'sub');
    rejects({ sub: 'alice' }, 'MISSING_CLAIM', 'iss');
  });

  it('fails as a server error without a SubjectDomain (config validation prevents it)', () => {
    const { subjectDomain: _d, ...noDomain } = ISSUER;
    rejects({ iss: ISS, sub: 'alice' }, 'INTERNAL', undefined, noDomain);
  });
});
