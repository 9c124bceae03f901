// Rotation on a running server, as an operator does it: `fulgor serve` on production keys (`ca init`), `fulgor ca
// rotate` in another process, then SIGHUP. Requests sent while the signal is handled are all answered 200; the
// certificates issued after the reload chain to the new issuing CA, and /api/v2/trustBundle lists both chains.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePemBlocks } from '../../lib/pem.js';
import { fulgor } from '../helpers/cli-process.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { SigningBody } from '../helpers/response-body.js';
import { spawnServe, stopProcess, until } from '../helpers/serve-process.js';

const EMAIL = 'dev@example.com';
const der = (pem: string) => parsePemBlocks(pem)[0]!.der;

describe('cli: ca rotate + SIGHUP on a running fulgor serve', function () {
  this.timeout(60_000);
  let work: string;
  let issuer: TestIssuer;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-rotate-sighup-'));
    issuer = await startIssuer('/mail');
  });
  after(async () => {
    await issuer.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Issues one certificate; resolves with the status and, on 200, the issuing CA certificate of its chain. */
  async function issue(caUrl: string): Promise<{ status: number; issuing?: Buffer }> {
    const res = await fetch(`${caUrl}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(v2Request(await issuer.mint('email'), clientKey(), EMAIL)),
    });
    if (res.status !== 200) return { status: res.status };
    const body = (await res.json()) as SigningBody;
    return { status: 200, issuing: der(body.signedCertificateEmbeddedSct.chain.certificates[1]!) };
  }

  it('issues with the new CA after SIGHUP, answers every request sent meanwhile, and lists both chains', async () => {
    const keys = join(work, 'keys');
    const offline = join(work, 'offline');
    const init = await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', offline);
    assert.equal(init.code, 0, init.stderr);
    const config = join(work, 'identity.json');
    writeFileSync(config, JSON.stringify({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'email' } } }));

    const { child, output, ready } = spawnServe(['--keys-dir', keys, '--config-path', config]);
    try {
      const caUrl = await ready;
      const oldIssuing = der(readFileSync(join(keys, 'intermediate-ca.pem'), 'utf8'));
      const before = await issue(caUrl);
      assert.equal(before.status, 200, output());
      assert.deepEqual(before.issuing, oldIssuing);

      const rotated = await fulgor('ca', 'rotate', '--keys-dir', keys, '--root-out', offline);
      assert.equal(rotated.code, 0, rotated.stderr);
      const newIssuing = der(readFileSync(join(keys, 'intermediate-ca.pem'), 'utf8'));
      assert.notDeepEqual(newIssuing, oldIssuing);

      // Requests in flight while the signal is handled: none is dropped, each is answered by one CA or the other.
      const during = Promise.all(Array.from({ length: 20 }, () => issue(caUrl)));
      child.kill('SIGHUP');
      const answers = await during;
      assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), output());
      for (const a of answers) assert.ok(a.issuing!.equals(oldIssuing) || a.issuing!.equals(newIssuing));

      const after = await until('a certificate from the new CA', async () => {
        const a = await issue(caUrl);
        return a.issuing?.equals(newIssuing) ? a : undefined;
      });
      assert.equal(after.status, 200);
      assert.equal(child.exitCode, null, 'still running');

      const bundle = (await (await fetch(`${caUrl}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
      assert.deepEqual(bundle.chains.map((c) => der(c.certificates[0]!)), [newIssuing, oldIssuing], 'the active chain, then the retired one');
    } finally {
      await stopProcess(child);
    }
  });
});
