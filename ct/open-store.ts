// Chooses a log store from `--ct-storage`: `memory`, `file:DIR` (the embedded, durable default) or `redis://...`.
import type { Logger } from '../lib/log.js';
import { openFileStore } from './file-store.js';
import { createMemoryStore } from './memory-store.js';
import { openRedisStore, redactRedisUrl } from './redis-store.js';
import type { LogStore } from './store.js';

export const DEFAULT_REDIS_PREFIX = 'fulgor-ct';

export interface StoreSpec {
  /** `memory`, `file:DIR`, or a `redis://` / `rediss://` URL. */
  readonly storage: string;
  /** Key prefix for Redis (one log per prefix). */
  readonly redisPrefix?: string;
  readonly logger: Logger;
}

/** The storage spec without secrets, for logs and errors. */
export function describeStorage(storage: string): string {
  return storage.startsWith('redis') ? redactRedisUrl(storage) : storage;
}

export async function openStore(spec: StoreSpec): Promise<LogStore> {
  const s = spec.storage;
  if (s === 'memory') return createMemoryStore();
  if (s.startsWith('file:')) {
    const dir = s.slice('file:'.length);
    if (!dir) throw new Error('--ct-storage file:DIR needs a directory');
    return openFileStore(dir, { logger: spec.logger });
  }
  if (s.startsWith('redis://') || s.startsWith('rediss://'))
    return openRedisStore(s, { prefix: spec.redisPrefix ?? DEFAULT_REDIS_PREFIX, logger: spec.logger });
  throw new Error(`--ct-storage must be memory, file:DIR or redis://..., not ${JSON.stringify(describeStorage(s))}`);
}
