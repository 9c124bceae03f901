// Flags shared by `fulgor serve` (companion log) and `fulgor ct serve`.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCertificates } from '../config/keys-dir.js';
import { flag, type Flags } from './flags.js';

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
