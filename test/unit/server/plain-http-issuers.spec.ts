import assert from 'node:assert/strict';
import { memoryLogger } from '../../../lib/log.js';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { isPlainHttpOffHost, warnPlainHttpIssuers } from '../../../server/plain-http-issuers.js';

describe('server/plain-http-issuers: http:// issuers across a network are warned about', () => {
  it('tells off-host http:// from https:// and loopback (localhost, 127/8, ::1), by host, not by prefix', () => {
    for (const u of ['http://idp.example', 'http://idp.example:8080/tenant', 'http://*.corp.example', 'http://127.0.0.1.evil.example/', 'HTTP://idp.example'])
      assert.equal(isPlainHttpOffHost(u), true, u);
    for (const u of ['https://idp.example', 'http://localhost:8080/x', 'http://LOCALHOST', 'http://127.0.0.1:1', 'http://127.1.2.3/a', 'http://[::1]:5/a'])
      assert.equal(isPlainHttpOffHost(u), false, u);
  });

  it('warns once per such issuer or MetaIssuers pattern, never for a JWKSPath issuer (nothing is fetched)', () => {
    const gh = (url: string, extra = {}) => ({ IssuerURL: url, ClientID: 'sigstore', Type: 'github-workflow', ...extra });
    const identity = parseIdentityConfig(
      JSON.stringify({
        OIDCIssuers: {
          'http://idp.example': gh('http://idp.example'),
          'https://secure.example': gh('https://secure.example'),
          'http://static.example': gh('http://static.example', { JWKSPath: '/nonexistent/jwks.json' }),
        },
        MetaIssuers: { 'http://*.ci.example': { ClientID: 'sigstore', Type: 'github-workflow' } },
      }),
    );
    const logger = memoryLogger();
    warnPlainHttpIssuers(identity, logger);
    assert.deepEqual(
      logger.lines.map((l) => (JSON.parse(l) as { issuer: string }).issuer),
      ['http://idp.example', 'http://*.ci.example'],
    );
  });
});
