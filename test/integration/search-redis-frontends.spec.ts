// Two CT log frontends on one Redis, each with its own search index fed from the shared store: concurrent
// submissions (some sent to both) land once in the log, and each frontend's GET /api/v1/search pages through every
// entry exactly once, whichever frontend sequenced it, with proofs that verify. A third index opened on a file,
// restarted mid-way (closed and reopened), catches up without duplicating or missing anything, and `fulgor search
// --ct-storage redis://...` reads the same log from Redis. Skipped without Redis.
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCtClient, createLog, hashLeaf, verifyInclusion, verifySth, type CtClient, type CtLog, type LogStore } from '../../ct/index.js';
import { listenLog, type ListeningLog } from '../../ct/listen.js';
import { dropRedisLog, openRedisStore, probeRedis } from '../../ct/redis-store.js';
import { sequence } from '../../lib/der.js';
import { silentLogger } from '../../lib/log.js';
import { createIndexer, openSearchIndex, parseSearchQuery, startCompanionSearch, storeSource, type CompanionSearch } from '../../search/index.js';
import { fulgor } from '../helpers/cli-process.js';
import { CODE_SIGNING, ekuExtension, extension, logSigner, makePki, POISON } from '../unit/ct/helpers.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DISTINCT = 120;

interface Frontend {
  store: LogStore;
  log: CtLog;
  search: CompanionSearch;
  http: ListeningLog;
  client: CtClient;
}

const sanExtension = (uri: string) => extension('2.5.29.17', sequence(Buffer.concat([Buffer.from([0x86, uri.length]), Buffer.from(uri)])), true);

describe('search: two log frontends on one Redis, each indexing the shared store', function () {
  this.timeout(120_000);
  const prefix = `fulgor-test-search-${randomBytes(6).toString('hex')}`;
  const frontends: Frontend[] = [];
  let dir: string | undefined;

  before(async function () {
    const reason = await probeRedis(REDIS_URL, 1_000);
    if (reason !== undefined) {
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
      this.skip();
    }
  });

  after(async () => {
    for (const f of frontends) {
      await f.http.close();
      await f.search.close();
      await f.store.close();
    }
    if (frontends.length > 0) await dropRedisLog(REDIS_URL, prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each frontend finds every entry exactly once, whichever frontend sequenced it', async () => {
    const pki = await makePki({ intermediateEkus: [CODE_SIGNING] });
    const signer = logSigner();
    for (let k = 0; k < 2; k++) {
      const store = await openRedisStore(REDIS_URL, { prefix });
      const log = createLog({ signer, roots: [pki.root.der], store });
      const search = await startCompanionSearch({ log, store, index: 'memory', logger: silentLogger, pollMs: 50 });
      const http = await listenLog(log, { host: '127.0.0.1', port: 0, logger: silentLogger, routers: [search.router] });
      frontends.push({ store, log, search, http, client: createCtClient({ url: http.url, logPublicKeySpki: signer.spki }) });
    }
    const [a, b] = frontends as [Frontend, Frontend];
    // A file index over the same store, closed and reopened half-way: catch-up resumes at its recorded size.
    dir = mkdtempSync(join(tmpdir(), 'fulgor-search-index-'));
    const file = join(dir, 'index.sqlite');
    let fileIndex = openSearchIndex(file);
    const source = storeSource(a.store, a.log.logId.toString('base64'));

    const chains = await Promise.all(
      Array.from({ length: DISTINCT }, async (_, i) => [
        await pki.leaf({ exactExtensions: [ekuExtension([CODE_SIGNING]), sanExtension(`https://search.test/r/${i}`), POISON] }),
        pki.intermediate.der,
      ]),
    );
    const submit = (i: number) => {
      const first = i % 2 ? b : a;
      const both = i % 5 === 0;
      return Promise.all([first.client.addPreChain(chains[i]!), ...(both ? [(i % 2 ? a : b).client.addPreChain(chains[i]!)] : [])]);
    };
    await Promise.all(chains.slice(0, DISTINCT / 2).map((_, i) => submit(i)));
    await createIndexer(fileIndex, source).catchUp();
    fileIndex.close();
    await Promise.all(chains.slice(DISTINCT / 2).map((_, i) => submit(DISTINCT / 2 + i)));
    fileIndex = openSearchIndex(file);
    assert.equal(fileIndex.size(), DISTINCT / 2, 'the reopened index remembers how far it got');
    await createIndexer(fileIndex, source).catchUp();
    await createIndexer(fileIndex, source).catchUp(); // again: nothing changes
    const fromFile = fileIndex.query(parseSearchQuery({ limit: '1000' }), DISTINCT).map((r) => r.index);
    fileIndex.close();
    assert.deepEqual([...fromFile].sort((x, y) => x - y), Array.from({ length: DISTINCT }, (_, i) => i));

    for (const f of [a, b]) {
      const seen: number[] = [];
      const sans = new Set<string>();
      let cursor: string | null = null;
      do {
        const qs: string = `san=${encodeURIComponent('https://search.test/r/*')}&limit=37${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await fetch(`${f.http.url}/api/v1/search?${qs}`);
        assert.equal(res.status, 200);
        const page = (await res.json()) as {
          results: { index: number; san: string; inclusion: { treeSize: number; auditPath: string[] } }[];
          sth: { tree_size: number; timestamp: number; sha256_root_hash: string; tree_head_signature: string };
          next: string | null;
        };
        const sth = { treeSize: page.sth.tree_size, timestamp: page.sth.timestamp, rootHash: Buffer.from(page.sth.sha256_root_hash, 'base64'), signature: Buffer.from(page.sth.tree_head_signature, 'base64') };
        assert.equal(sth.treeSize, DISTINCT);
        assert.ok(verifySth(sth, signer.spki));
        const leaves = await f.client.getEntries(0, DISTINCT - 1);
        for (const r of page.results) {
          const path = r.inclusion.auditPath.map((h) => Buffer.from(h, 'base64'));
          assert.ok(verifyInclusion(r.index, sth.treeSize, hashLeaf(leaves[r.index]!.leafInput), path, sth.rootHash));
          seen.push(r.index);
          sans.add(r.san);
        }
        cursor = page.next;
      } while (cursor !== null);
      assert.equal(seen.length, DISTINCT, 'no entry twice');
      assert.deepEqual([...seen].sort((x, y) => x - y), Array.from({ length: DISTINCT }, (_, i) => i), 'no entry missed');
      assert.equal(sans.size, DISTINCT);
    }

    // `fulgor search --ct-storage redis://...` (a real process) reads the same shared log from Redis and proves every
    // result against the latest stored tree head with the log key.
    const pub = join(dir, 'log.pub.pem');
    writeFileSync(pub, createPublicKey({ key: signer.spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }) as string);
    const cli = await fulgor('search', '--ct-storage', REDIS_URL, '--ct-redis-prefix', prefix, '--log-public-key', pub, '--san', 'https://search.test/r/**', '--limit', '1000', '--json');
    assert.equal(cli.code, 0, cli.stderr);
    const printed = JSON.parse(cli.stdout) as { index: number; verified: boolean; problem?: string }[];
    assert.deepEqual(printed.map((r) => r.index).sort((x, y) => x - y), Array.from({ length: DISTINCT }, (_, i) => i));
    for (const r of printed) assert.equal(r.verified, true, r.problem);
  });
});
