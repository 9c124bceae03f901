// A LogStore held in process memory: for tests and for logs that may lose their state on restart.
import { MemoryHashTree } from './hash-tree.js';
import type { NodeId } from './merkle.js';
import type { LogStore, NewEntry, StoredEntry } from './store.js';

export function createMemoryStore(): LogStore {
  const entries: StoredEntry[] = [];
  const tree = new MemoryHashTree();
  const byLeafHash = new Map<string, number>();
  const byDedupKey = new Map<string, number>();
  const key = (b: Buffer): string => b.toString('base64');

  return {
    size: async () => entries.length,
    async append(entry: NewEntry): Promise<number> {
      const index = entries.length;
      entries.push({ leafInput: entry.leafInput, extraData: entry.extraData });
      tree.append(entry.leafHash);
      if (!byLeafHash.has(key(entry.leafHash))) byLeafHash.set(key(entry.leafHash), index);
      if (!byDedupKey.has(key(entry.dedupKey))) byDedupKey.set(key(entry.dedupKey), index);
      return index;
    },
    async getEntries(start: number, end: number): Promise<StoredEntry[]> {
      if (start < 0 || end > entries.length || start > end) throw new RangeError(`no entries [${start}, ${end})`);
      return entries.slice(start, end);
    },
    indexByLeafHash: async (leafHash) => byLeafHash.get(key(leafHash)),
    indexByDedupKey: async (dedupKey) => byDedupKey.get(key(dedupKey)),
    getNodes: (ids: readonly NodeId[]) => tree.getNodes(ids),
  };
}
