// The few administrative Redis commands the benchmark needs (INFO, CONFIG GET, MEMORY USAGE, SCAN), through ioredis.
// The log itself talks to Redis only through ct/redis-store.ts.
import { Redis } from 'ioredis';

/** Runs `fn` on a fresh connection to `url` (failing fast when Redis is unreachable), then disconnects. */
export async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 10_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectionName: 'fulgor-bench',
  });
  // The socket's error explains a failed connect better than connect()'s own "Connection is closed.".
  let socketError: Error | undefined;
  redis.on('error', (e: Error) => void (socketError ??= e));
  try {
    await redis.connect().catch((e: unknown) => {
      throw socketError ?? e;
    });
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** INFO <section> as a field map. */
export async function info(redis: Redis, section: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await redis.info(section)).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** CONFIG GET name, or undefined when CONFIG is not allowed (managed Redis often renames it). */
export async function configValue(redis: Redis, name: string): Promise<string | undefined> {
  try {
    const v = (await redis.config('GET', name)) as unknown[];
    return v.length >= 2 ? String(v[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Every key matching `pattern` (SCAN). */
export async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of redis.scanStream({ match: pattern, count: 1000 })) out.push(...(batch as string[]));
  return out;
}
