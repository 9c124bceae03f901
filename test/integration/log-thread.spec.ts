// The companion log on a thread of its own (server/log-thread.ts, the default of serve() without an injected clock):
// certificates issued concurrently are all logged, each SCT verifies against the log's key, the log's lines reach
// the CA's logger, the log answers while the CA's thread is busy (and, in the serving thread, does not), a CT key
// that does not match is refused at start, and close() ends the log's listener.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { memoryLogger, type Logger } from '../../lib/log.js';
import { serve } from '../../server/serve.js';
import { KeyError } from '../../signer/index.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { certificateSerial, loggedSerial } from '../helpers/logged-serials.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';

/** Blocks this thread for `ms` while a child process asks `url`; resolves to how long after the block began the child had its answer (ms). */
async function answeredDuringBlock(url: string, ms: number): Promise<number> {
  const child = new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', `fetch(${JSON.stringify(url)}).then((r) => r.text()).then(() => console.log(Date.now()))`], (e, out) => (e ? reject(e) : resolve(out))),
  );
  // Give the child time to start and connect before the block (it needs no help from this thread to do so).
  await new Promise((r) => setTimeout(r, 50));
  const start = Date.now();
  while (Date.now() - start < ms); // the CA's thread busy: no request of its own is served meanwhile
  return Number((await child).trim()) - start;
}

describe('integration: the companion log on a thread of its own', function () {
  this.timeout(60_000);
  let issuer: TestIssuer;
  before(async () => {
    issuer = await startIssuer('/gh');
  });
  after(async () => issuer.close());
  const identity = () => ({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'github-workflow' } } });

  describe('on its thread (the default)', () => {
    let fulgor: TestFulgor;
    before(async () => {
      fulgor = await startFulgor(identity());
    });
    after(async () => fulgor.close());

    it('logs every certificate issued concurrently, and its lines reach the CA logger', async () => {
      const before = ((await (await fetch(`${fulgor.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size;
      const issued = await Promise.all(
        Array.from({ length: 24 }, async () => {
          const res = await fulgor.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB));
          assert.equal(res.status, 200, res.text);
          return certificateSerial(res.json.signedCertificateEmbeddedSct.chain.certificates[0]!);
        }),
      );
      const sth = (await (await fetch(`${fulgor.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number };
      assert.equal(sth.tree_size, before + 24);
      const entries = (await (await fetch(`${fulgor.ctUrl}/ct/v1/get-entries?start=${before}&end=${before + 23}`)).json()) as { entries: { leaf_input: string }[] };
      assert.deepEqual(new Set(entries.entries.map((e) => loggedSerial(Buffer.from(e.leaf_input, 'base64')))), new Set(issued));
      assert.ok(fulgor.logLines.some((l) => l.includes('"msg":"CT log ready"')), 'the thread logs through the CA logger');
    });

    it("sends the CA logger every line it keeps: the debug line of each entry, with no level set", async () => {
      const res = await fulgor.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB));
      assert.equal(res.status, 200, res.text);
      assert.ok(fulgor.logLines.some((l) => l.includes('"msg":"ct log entry sequenced"')));
    });

    it('answers on its port while the CA thread is busy', async () => {
      const after = await answeredDuringBlock(`${fulgor.ctUrl}/ct/v1/get-sth`, 1_500);
      assert.ok(after < 1_400, `the log answered ${after} ms into a 1,500 ms block of the CA thread`);
    });
  });

  it("drops in the thread the lines below the CA logger's level: at info, no entry's debug line crosses", async () => {
    // A logger that says it writes info and above, yet records every line it is handed: what it gets is what crossed.
    const lines: string[] = [];
    const logger: Logger & { lines: string[] } = { level: 'info', lines, log: (level, msg) => void lines.push(`${level} ${msg}`) };
    const quiet = await startFulgor(identity(), { logger });
    try {
      const res = await quiet.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB));
      assert.equal(res.status, 200, res.text);
      assert.ok(lines.includes('info CT log ready'), "the thread's info lines still cross");
      assert.ok(lines.includes('info certificate issued'));
      assert.deepEqual(lines.filter((l) => l.startsWith('debug ')), []);
    } finally {
      await quiet.close();
    }
  });

  it('in the serving thread (logThread: false) the log waits for the CA thread: the check above can fail', async () => {
    const fulgor = await startFulgor(identity(), { logThread: false });
    try {
      const after = await answeredDuringBlock(`${fulgor.ctUrl}/ct/v1/get-sth`, 1_500);
      assert.ok(after >= 1_500, `answered ${after} ms into the block`);
    } finally {
      await fulgor.close();
    }
  });

  it('refuses to start with a CT key that does not match ctlog.pub.pem (a KeyError naming the file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-log-thread-'));
    try {
      const keysDir = join(dir, 'keys');
      await createMissingDevKeys(keysDir);
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
      writeFileSync(join(keysDir, KEY_FILES.ctPub), other);
      const logger = memoryLogger();
      await assert.rejects(
        serve({ host: '127.0.0.1', port: 0, ctPort: 0, keysDir, dev: false, allowDevKeys: true, ctStorage: 'memory', identity: { oidcIssuers: new Map(), metaIssuers: [], ciIssuerMetadata: {} }, logger }),
        (e: unknown) => e instanceof KeyError && e.message.includes(KEY_FILES.ctPub),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() stops the log listener with the CA', async () => {
    const fulgor = await startFulgor(identity());
    const ctUrl = fulgor.ctUrl;
    assert.equal((await fetch(`${ctUrl}/ct/v1/get-sth`)).status, 200);
    await fulgor.close();
    await assert.rejects(fetch(`${ctUrl}/ct/v1/get-sth`));
  });
});
