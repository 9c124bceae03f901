// Flags shared by `fulgor serve` (companion log) and `fulgor ct serve`.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCertificates } from '../config/keys-dir.js';
import { DEFAULT_REDIS_PREFIX } from '../ct/open-store.js';
import { flag, str, type Flags } from './flags.js';

/** Where the companion log (serve) or the log alone (ct serve) keeps its tree, and what it accepts. */
export const CT_LOG_FLAGS = {
  'ct-storage': str('file:DIR|memory|redis://HOST:PORT/DB', "the CT log's storage", 'file:ct-data'),
  'ct-redis-prefix': str('PREFIX', 'key prefix in Redis (several logs can share one Redis)', DEFAULT_REDIS_PREFIX),
  'ct-log-prefix': str('PREFIX', 'serve the log at /PREFIX/ct/v1/... (Fulcio-style log URLs such as /test)'),
  'ct-roots': str('PEM-FILE', 'roots the log accepts chains to (default: the root in the keys directory)'),
  'search-index': str('FILE|memory|off', "the log's search index (GET /api/v1/search); default DIR/search-index.sqlite for file:DIR, else memory"),
};

/** An external log instead of the companion one (serve), or the log to describe (trust export). */
export const CT_LOG_URL_FLAGS = {
  'ct-log-url': str('URL', 'an external RFC 6962 log (with its prefix) instead of the companion log'),
  'ct-log-public-key': str('PEM-FILE', "the external log's public key; its SCTs are verified with it (needs --ct-log-url)", undefined, [
    'ct-log-public-key-path',
  ]),
};

/** `--ct-log-public-key FILE`: the external log's PEM public key (SPKI), as DER. Meaningless without --ct-log-url. */
export function ctLogPublicKeyFlag(flags: Flags): Buffer | undefined {
  const path = flag(flags, 'ct-log-public-key');
  if (!path) return undefined;
  if (!flag(flags, 'ct-log-url'))
    throw new Error('--ct-log-public-key is the key of an external log: give its --ct-log-url too (the companion log uses ctlog.key.pem in the keys directory)');
  return createPublicKey(readFileSync(path, 'utf8')).export({ type: 'spki', format: 'der' });
}

export interface CtLogFlags {
  ctStorage?: string;
  ctRedisPrefix?: string;
  ctPrefix?: string;
  ctRoots?: Buffer[];
  searchIndex?: string;
}

export function ctLogFlags(flags: Flags): CtLogFlags {
  const out: CtLogFlags = {};
  const storage = flag(flags, 'ct-storage');
  if (storage) out.ctStorage = storage;
  const redisPrefix = flag(flags, 'ct-redis-prefix');
  if (redisPrefix) out.ctRedisPrefix = redisPrefix;
  const prefix = flag(flags, 'ct-log-prefix');
  if (prefix) out.ctPrefix = prefix;
  const searchIndex = flag(flags, 'search-index');
  if (searchIndex) out.searchIndex = searchIndex;
  const roots = flag(flags, 'ct-roots');
  if (roots) out.ctRoots = readCertificates(roots);
  return out;
}
