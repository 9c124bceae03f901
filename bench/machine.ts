// The machine a run measured: CPU, cores, RAM, Node, the temp dir's fdatasync latency, and Redis (version,
// persistence settings) when reachable.
import { open } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { configValue, info, withRedis } from './redis.js';
import { message, now, summarize, tempDir, type Summary } from './util.js';

export interface RedisInfo {
  readonly version: string;
  readonly appendonly?: string;
  readonly appendfsync?: string;
  readonly save?: string;
}

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly os: string;
  readonly tmpdir: string;
  /** 1-minute load average when the run started (other work on the machine skews the figures). */
  readonly loadAtStart: number;
  readonly fdatasync: Summary;
  readonly redis: RedisInfo | { readonly skipped: string };
}

/**
 * Median/p99/max of (4 KiB pwrite + fdatasync) on the temp dir's file system: the floor under one file-store commit.
 * 2,000 samples (~1 s here), enough to meet the device's rare slow syncs (1 in ~1,000 took 15–37 ms on this VM's
 * disk), which set the file store's latency tail: every SCT of a batch waits for its sync.
 */
async function fdatasyncLatency(samples = 2000): Promise<Summary> {
  const { dir, remove } = await tempDir('fsync');
  try {
    const fh = await open(join(dir, 'probe'), 'w');
    try {
      const block = Buffer.alloc(4096, 7);
      const times: number[] = [];
      for (let i = 0; i < samples + 20; i++) {
        const t0 = now();
        await fh.write(block, 0, block.length, i * block.length);
        await fh.datasync();
        if (i >= 20) times.push(now() - t0);
      }
      return summarize(times);
    } finally {
      await fh.close();
    }
  } finally {
    await remove();
  }
}

export async function redisInfo(url: string): Promise<RedisInfo> {
  return withRedis(url, async (redis) => {
    const server = await info(redis, 'server');
    const [appendonly, appendfsync, save] = [await configValue(redis, 'appendonly'), await configValue(redis, 'appendfsync'), await configValue(redis, 'save')];
    return {
      version: server['redis_version'] ?? 'unknown',
      ...(appendonly !== undefined ? { appendonly } : {}),
      ...(appendfsync !== undefined ? { appendfsync } : {}),
      ...(save !== undefined ? { save } : {}),
    };
  });
}

export async function describeMachine(redisUrl: string, redisSkip: string | undefined): Promise<Machine> {
  const cpu = cpus();
  const loadAtStart = loadavg()[0]!;
  let redis: Machine['redis'];
  if (redisSkip) redis = { skipped: redisSkip };
  else {
    try {
      redis = await redisInfo(redisUrl);
    } catch (e) {
      redis = { skipped: `INFO failed: ${message(e)}` };
    }
  }
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    tmpdir: tmpdir(),
    loadAtStart,
    fdatasync: await fdatasyncLatency(),
    redis,
  };
}
