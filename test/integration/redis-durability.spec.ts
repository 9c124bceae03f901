// The CT log warns at start when its Redis cannot back an SCT durably: CONFIG GET appendonly / appendfsync must say
// yes / always; when CONFIG is disabled the warning says the settings could not be checked. Against the machine's
// Redis (REDIS_URL; the assertion follows what CONFIG GET says there), through a real `fulgor ct serve`, and against
// throwaway redis-server processes (durable, and with CONFIG renamed away) when the binary is installed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { dropRedisLog, openRedisStore, probeRedis } from '../../ct/redis-store.js';
import { memoryLogger } from '../../lib/log.js';
import { FULGOR_CLI } from '../helpers/ct-process.js';
import { exited, stopProcess, until } from '../helpers/serve-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = () => `fulgor-test-${randomBytes(6).toString('hex')}`;
const NOT_DURABLE = /ct log redis persistence cannot back an SCT/;
const UNCHECKED = /ct log redis persistence could not be checked/;

async function configOf(url: string): Promise<{ appendonly: string; appendfsync: string }> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const get = async (k: string) => ((await redis.config('GET', k)) as string[])[1] as string;
    return { appendonly: await get('appendonly'), appendfsync: await get('appendfsync') };
  } finally {
    redis.disconnect();
  }
}

/** The warnings an open of the store at `url` logs. */
async function openWarnings(url: string): Promise<string[]> {
  const logger = memoryLogger();
  const p = prefix();
  const store = await openRedisStore(url, { prefix: p, logger });
  await store.close();
  await dropRedisLog(url, p);
  return logger.lines.filter((l) => l.includes('"level":"warn"'));
}

describe('integration: the CT log checks its Redis persistence at start', function () {
  this.timeout(60_000);

  describe(`the machine's Redis (${REDIS_URL})`, () => {
    before(async function () {
      const reason = await probeRedis(REDIS_URL, 1_000);
      if (reason === undefined) return;
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
      this.skip();
    });

    it('warns, naming both settings, unless it runs with appendonly yes and appendfsync always', async () => {
      const config = await configOf(REDIS_URL);
      const warnings = await openWarnings(REDIS_URL);
      if (config.appendonly === 'yes' && config.appendfsync === 'always') assert.deepEqual(warnings, []);
      else {
        assert.equal(warnings.length, 1, warnings.join('\n'));
        assert.match(warnings[0]!, NOT_DURABLE);
        assert.match(warnings[0]!, new RegExp(`"appendonly":"${config.appendonly}","appendfsync":"${config.appendfsync}"`));
      }
    });

    it('says so on stderr of a real `fulgor ct serve --ct-storage redis://...`', async function () {
      const config = await configOf(REDIS_URL);
      if (config.appendonly === 'yes' && config.appendfsync === 'always') this.skip(); // nothing to warn about here
      const keys = mkdtempSync(join(tmpdir(), 'fulgor-redis-durability-'));
      const p = prefix();
      await createMissingDevKeys(keys);
      const child = spawn(process.execPath, [FULGOR_CLI, 'ct', 'serve', '--dev', '--keys-dir', keys, '--ct-port', '0', '--ct-storage', REDIS_URL, '--ct-redis-prefix', p], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      try {
        await until('the log to listen', () => (/listening on/.test(err) ? true : undefined), 20_000);
        assert.match(err, NOT_DURABLE);
        assert.match(err, /appendfsync/);
      } finally {
        await stopProcess(child);
        await dropRedisLog(REDIS_URL, p);
        rmSync(keys, { recursive: true, force: true });
      }
    });
  });

  describe('throwaway redis-server processes', () => {
    let dir: string;
    const children: ChildProcess[] = [];
    before(function () {
      if (spawnSync('redis-server', ['--version']).status !== 0) {
        console.warn('      SKIPPED: no redis-server binary (Debian package redis-server) to start throwaway servers');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'fulgor-redis-servers-'));
    });
    after(async () => {
      for (const c of children) {
        c.kill('SIGTERM');
        await exited(c);
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A redis-server on a free loopback port with `args`; resolves to its URL once it answers. */
    async function redisServer(name: string, ...args: string[]): Promise<string> {
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendfilename', `${name}.aof`, '--appenddirname', name, ...args], { stdio: 'ignore' });
      children.push(child);
      const url = `redis://127.0.0.1:${port}`;
      await until(`redis-server ${name}`, async () => ((await probeRedis(url, 500)) === undefined ? true : undefined));
      return url;
    }

    it('stays quiet for appendonly yes + appendfsync always', async () => {
      const url = await redisServer('durable', '--appendonly', 'yes', '--appendfsync', 'always');
      assert.deepEqual(await openWarnings(url), []);
    });

    it('warns for appendfsync everysec, naming it', async () => {
      const url = await redisServer('everysec', '--appendonly', 'yes', '--appendfsync', 'everysec');
      const warnings = await openWarnings(url);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, NOT_DURABLE);
      assert.match(warnings[0]!, /"appendonly":"yes","appendfsync":"everysec"/);
    });

    it('warns that it could not check when CONFIG is disabled (renamed away, as managed services do)', async () => {
      const url = await redisServer('no-config', '--rename-command', 'CONFIG', '');
      const warnings = await openWarnings(url);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, UNCHECKED);
      assert.match(warnings[0]!, /unknown command/i);
    });
  });
});
