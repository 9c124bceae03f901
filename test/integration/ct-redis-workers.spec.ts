// Two `fulgor serve --workers 2` processes (each a primary with its companion log frontend and two CA workers, the
// same keys) on one Redis log (a throwaway key prefix): certificates issued concurrently through both, then both
// frontends serve one tree — same size and root, get-entries rebuilding it, every index once — and every certificate
// either server returned is in it under the SCT it embeds, with no entry that no client got (nothing was cut off).
// (ct-redis-frontends.spec.ts: two log frontends in this process, with duplicate submissions.) Skipped without Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLogKeys } from '../../config/keys-dir.js';
import { createCtClient, hashLeaf, rootOfLeafHashes, verifyInclusion } from '../../ct/index.js';
import { dropRedisLog, probeRedis } from '../../ct/redis-store.js';
import { exited } from '../helpers/serve-process.js';
import { allEntries, assertEveryCertificateLogged, devToken, issue, leafOf, startServeGroup, type ServeGroup } from '../helpers/workers-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PER_SERVER = 60;
const CONCURRENCY = 12; // per server

describe('serve --workers 2: two servers sharing one Redis CT log', function () {
  this.timeout(180_000);
  const prefix = `fulgor-test-${randomBytes(6).toString('hex')}`;
  const servers: ServeGroup[] = [];
  let dir: string;

  before(async function () {
    const reason = await probeRedis(REDIS_URL, 1_000);
    if (reason !== undefined) {
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'fulgor-redis-workers-'));
  });

  after(async () => {
    for (const s of servers) s.killGroup('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    await dropRedisLog(REDIS_URL, prefix).catch(() => undefined);
  });

  it('issues through both at once into one consistent log: every returned certificate logged once under its SCT', async () => {
    const keysDir = join(dir, 'keys');
    const args = ['--dev', '--keys-dir', keysDir, '--ct-storage', REDIS_URL, '--ct-redis-prefix', prefix, '--workers', '2'];
    servers.push(await startServeGroup(args)); // the first creates the development keys; the second uses them
    servers.push(await startServeGroup(args));
    const spki = loadLogKeys(keysDir).ctPublicKey!;
    // Each server's development issuer is its own CA URL: a token for each.
    const tokens = await Promise.all(servers.map((s) => devToken(keysDir, s.caUrl)));

    const returned: string[] = [];
    await Promise.all(
      servers.flatMap((s, k) => {
        let left = PER_SERVER;
        return Array.from({ length: CONCURRENCY }, async () => {
          while (left-- > 0) {
            const a = await issue(s.caUrl, tokens[k]!);
            assert.equal(a.status, 200, JSON.stringify(a.json));
            returned.push(leafOf(a));
          }
        });
      }),
    );
    assert.equal(returned.length, 2 * PER_SERVER);

    const [a, b] = servers.map((s) => createCtClient({ url: s.ctUrl, logPublicKeySpki: spki })) as [ReturnType<typeof createCtClient>, ReturnType<typeof createCtClient>];
    const [sthA, sthB] = [await a.getSth(), await b.getSth()];
    assert.equal(sthA.treeSize, returned.length, 'one entry per certificate, none missing, none extra');
    assert.equal(sthB.treeSize, sthA.treeSize);
    assert.ok(sthB.rootHash.equals(sthA.rootHash), 'both frontends have the same root');
    for (const client of [a, b]) {
      const entries = await allEntries(client, sthA.treeSize);
      const hashes = entries.map((e) => hashLeaf(e.leafInput));
      assert.ok(rootOfLeafHashes(hashes).equals(sthA.rootHash), 'get-entries rebuilds the signed root');
      assert.equal(assertEveryCertificateLogged(returned, entries, sthA, spki), 0, 'no entry that no client got');
      // Each index is the one the log proves for its leaf.
      for (const i of [0, Math.floor(entries.length / 2), entries.length - 1]) {
        const proof = await client.getProofByHash(hashes[i]!, sthA.treeSize);
        assert.equal(proof.leafIndex, i);
        assert.ok(verifyInclusion(proof.leafIndex, sthA.treeSize, hashes[i]!, proof.auditPath, sthA.rootHash));
      }
    }
    for (const s of servers.splice(0)) {
      const stopped = exited(s.child);
      s.killGroup('SIGTERM');
      assert.deepEqual(await stopped, { code: 0, signal: null }, s.output());
    }
  });
});
