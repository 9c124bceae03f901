import assert from 'node:assert/strict';
import { parseRate } from '../../../config/rate-limit.js';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { findIssuer } from '../../../oidc/issuer-routing.js';

const YAML = (rateLimit: string[]) =>
  ['oidc-issuers:', '  https://x.example.com:', '    client-id: sigstore', '    type: email', '    rate-limit:', ...rateLimit.map((l) => `      ${l}`), ''].join('\n');
const JSON_CONFIG = (rateLimit: unknown) => JSON.stringify({ OIDCIssuers: { 'https://x.example.com': { ClientID: 'sigstore', Type: 'email', RateLimit: rateLimit } } });

/** The load error's message (every problem with its location). */
const loadError = (text: string): string => {
  try {
    parseIdentityConfig(text);
  } catch (e) {
    return (e as Error).message;
  }
  return assert.fail('the config loaded');
};

describe('config/rate-limit', () => {
  it('parses COUNT/UNIT for second, minute and hour, and off when allowed', () => {
    assert.deepEqual(parseRate('30/minute'), { count: 30, periodSeconds: 60, text: '30/minute' });
    assert.deepEqual(parseRate(' 5 / second '), { count: 5, periodSeconds: 1, text: '5/second' });
    assert.deepEqual(parseRate('1000/hour'), { count: 1000, periodSeconds: 3600, text: '1000/hour' });
    assert.equal(parseRate('off', { allowOff: true }), 'off');
    for (const bad of ['off', '0/minute', '-1/minute', '1.5/minute', '30/min', '30/day', '30', 'minute', '30/minute/2', '', '1e3/hour', '1000001/hour']) {
      assert.throws(() => parseRate(bad), /is not a rate: write COUNT\/UNIT/, bad);
    }
  });

  it('reads the YAML form (rate-limit, per-identity, per-repository, per-address)', () => {
    const id = parseIdentityConfig(YAML(['per-identity: 30/minute', 'per-repository: 100/hour', 'per-address: "600/minute"']));
    assert.deepEqual(id.oidcIssuers.get('https://x.example.com')?.rateLimit, {
      identity: { count: 30, periodSeconds: 60, text: '30/minute' },
      repository: { count: 100, periodSeconds: 3600, text: '100/hour' },
      address: { count: 600, periodSeconds: 60, text: '600/minute' },
    });
    assert.deepEqual(parseIdentityConfig(YAML(['per-address: off'])).oidcIssuers.get('https://x.example.com')?.rateLimit, { address: 'off' });
  });

  it('reads the JSON form (RateLimit, PerIdentity, PerAddress), keys case-insensitive as Go decodes them', () => {
    const id = parseIdentityConfig(JSON_CONFIG({ PerIdentity: '30/minute', peraddress: '600/minute' }));
    assert.deepEqual(id.oidcIssuers.get('https://x.example.com')?.rateLimit, {
      identity: { count: 30, periodSeconds: 60, text: '30/minute' },
      address: { count: 600, periodSeconds: 60, text: '600/minute' },
    });
  });

  it('a meta issuer’s rate-limit applies to the issuers it matches', () => {
    const id = parseIdentityConfig(JSON.stringify({ MetaIssuers: { 'https://*.example.com': { ClientID: 'sigstore', Type: 'email', RateLimit: { PerIdentity: '2/second' } } } }));
    assert.deepEqual(findIssuer(id, 'https://a.example.com')?.rateLimit, { identity: { count: 2, periodSeconds: 1, text: '2/second' } });
  });

  it('refuses bad values and unknown keys, each with its location, in both spellings', () => {
    const y = loadError(YAML(['per-identity: 30/fortnight', 'per-adress: 10/minute', 'per-repository: 5', 'PerIdentity: 1/minute']));
    const at = 'oidc-issuers["https://x.example.com"].rate-limit';
    assert.ok(y.includes(`${at}.per-identity: "30/fortnight" is not a rate`), y);
    assert.ok(y.includes(`${at}.per-adress: unknown key (expected per-identity, per-repository, per-address)`), y);
    assert.ok(y.includes(`${at}.per-repository: must be a string such as "30/minute" (or off)`), y);
    assert.ok(y.includes(`${at}.PerIdentity: unknown key`), 'YAML keys match exactly');

    const j = loadError(JSON_CONFIG({ PerIdentity: 30, PerAddress: '0/hour', Burst: 5 }));
    const jat = 'OIDCIssuers["https://x.example.com"].RateLimit';
    assert.ok(j.includes(`${jat}.PerIdentity: must be a string`), j);
    assert.ok(j.includes(`${jat}.PerAddress: "0/hour" is not a rate`), j);
    assert.ok(j.includes(`${jat}.Burst: unknown key`), j);

    assert.ok(loadError(JSON_CONFIG('30/minute')).includes(`${jat}: must be a mapping of PerIdentity, PerRepository, PerAddress`));
  });
});
