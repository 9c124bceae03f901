// `sub` is the proof-of-possession subject of every issuer type but email: through the real server and real local
// OIDC issuers, a token whose `sub` is missing, empty or not a string is a 400 naming the claim, even with a valid
// proof over "" (what Fulcio would sign), and nothing reaches the CT log.
import assert from 'node:assert/strict';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const NO_EMAIL = { email: undefined, email_verified: undefined };

describe('integration: a token must name its proof-of-possession subject (sub)', () => {
  let github: TestIssuer, buildkite: TestIssuer;
  let fulgor: TestFulgor;

  before(async () => {
    [github, buildkite] = await Promise.all([startIssuer('/gh'), startIssuer('/bk')]);
    const issuer = (url: string, type: string) => ({ IssuerURL: url, ClientID: 'sigstore', Type: type });
    fulgor = await startFulgor({
      OIDCIssuers: { [github.url]: issuer(github.url, 'github-workflow'), [buildkite.url]: issuer(buildkite.url, 'buildkite-job') },
    });
  });
  after(async () => {
    await fulgor.close();
    await Promise.all([github.close(), buildkite.close()]);
  });

  const treeSize = async () => ((await (await fetch(`${fulgor.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size;

  const mints: [string, (sub: unknown) => Promise<string>][] = [
    ['github-workflow', (sub) => github.mint('github', { claims: { sub } })],
    ['buildkite-job', (sub) => buildkite.mint('email', { claims: { ...NO_EMAIL, sub, organization_slug: 'acme-inc', pipeline_slug: 'app' } })],
  ];
  const cases: [string, unknown, string][] = [
    ['missing', undefined, 'MISSING_CLAIM'],
    ['empty', '', 'MISSING_CLAIM'],
    ['a number', 42, 'INVALID_CLAIM'],
  ];

  for (const [type, mint] of mints) {
    it(`${type}: issues for a string sub, with the proof over it`, async () => {
      const res = await fulgor.post('/api/v2/signingCert', v2Request(await mint('who:me'), clientKey(), 'who:me'));
      assert.equal(res.status, 200, res.text);
    });

    for (const [what, sub, reason] of cases) {
      it(`${type}: refuses a token whose sub is ${what} with 400 ${reason}, metadata.claim sub`, async () => {
        const before = await treeSize();
        // The proof is over "", the name Fulcio would take for it.
        const res = await fulgor.post('/api/v2/signingCert', v2Request(await mint(sub), clientKey(), ''));
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.code, 3);
        assert.equal(res.json.details[0].reason, reason, res.text);
        assert.equal(res.json.details[0].metadata.claim, 'sub');
        assert.match(res.json.message, /^There was an error processing the identity token: token (is missing required )?claim "sub"/);
        assert.equal(await treeSize(), before, 'nothing was logged for issuance');
      });
    }
  }
});
