// A LogStore held in process memory: for tests and for logs that may lose their state on restart.
import { MemoryHashTree } from './hash-tree.js';
import type { NodeId } from './merkle.js';
import type { LogStore, NewEntry, Sequenced, StoredEntry, StoredSth } from './store.js';

export function createMemoryStore(): LogStore {
  const entries: StoredEntry[] = [];
  const tree = new MemoryHashTree();
  const byLeafHash = new Map<string, number>();
  const byDedupKey = new Map<string, number>();
  const key = (b: Buffer): string => b.toString('base64');
  let newest = 0;
  let latest: StoredSth | undefined;

  function sequenceOne(entry: NewEntry): Sequenced {
    const existing = byDedupKey.get(key(entry.dedupKey));
    if (existing !== undefined) return { index: existing, leafInput: entries[existing]!.leafInput, duplicate: true };
    const index = entries.length;
    entries.push({ leafInput: entry.leafInput, extraData: entry.extraData });
    tree.append(entry.leafHash);
    if (!byLeafHash.has(key(entry.leafHash))) byLeafHash.set(key(entry.leafHash), index);
    byDedupKey.set(key(entry.dedupKey), index);
    newest = Math.max(newest, entry.timestamp);
    return { index, leafInput: entry.leafInput, duplicate: false };
  }

  return {
    size: async () => entries.length,
    sequence: async (batch) => batch.map(sequenceOne),
    async getEntries(start: number, end: number): Promise<StoredEntry[]> {
      if (start < 0 || end > entries.length || start > end) throw new RangeError(`no entries [${start}, ${end})`);
      return entries.slice(start, end);
    },
    indexByLeafHash: async (leafHash) => byLeafHash.get(key(leafHash)),
    newestTimestamp: async () => newest,
    latestSth: async () => latest,
    async publishSth(sth) {
      if (!latest || (sth.timestamp > latest.timestamp && sth.treeSize >= latest.treeSize)) latest = sth;
      return latest;
    },
    close: async () => {},
    getNodes: (ids: readonly NodeId[]) => tree.getNodes(ids),
  };
}
