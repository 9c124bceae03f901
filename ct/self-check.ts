// The start-up self-check every log runs over its store, whatever the backend.
import { rootHash } from './merkle.js';
import type { LogStore } from './store.js';

/**
 * Start-up self-check: the store must hold at least the latest published STH's tree, with that STH's root. Throws
 * (naming both roots) if not — a log must never sign a tree that contradicts one it signed before.
 */
export async function checkAgainstLatestSth(store: LogStore): Promise<void> {
  const sth = await store.latestSth();
  if (!sth) return;
  const size = await store.size();
  if (size < sth.treeSize)
    throw new Error(
      `CT log store holds ${size} entries but the latest published STH covers ${sth.treeSize}: entries were lost; ` +
        'refusing to serve (restore the storage from a backup)',
    );
  const root = await rootHash(store, sth.treeSize);
  if (!root.equals(sth.rootHash))
    throw new Error(
      `CT log store's root at size ${sth.treeSize} is ${root.toString('hex')} but the latest published STH says ` +
        `${sth.rootHash.toString('hex')}: the stored entries differ from what was signed; refusing to serve`,
    );
}
