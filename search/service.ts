// A search answered with proofs: the log's current signed tree head first, the index caught up to it, then each
// matching entry below that tree size with its inclusion proof against that same tree head. The answer is the JSON
// of `GET /api/v1/search` (README "Auditing what was issued"); `fulgor search` prints the same results.
import { sthJson } from '../ct/http.js';
import type { TreeHead } from '../ct/verify.js';
import type { IndexRow } from './index-db.js';
import type { Indexer } from './indexer.js';
import { encodeCursor, type SearchQuery } from './query.js';

/** Where the tree head and proofs come from: the log itself, or its store read offline. */
export interface ProofSource {
  getSth(): Promise<TreeHead>;
  /** Audit path of leaf `index` in the tree of `treeSize` leaves. */
  inclusionProof(index: number, treeSize: number): Promise<Buffer[]>;
}

/** get-sth's JSON. */
export type SthJson = ReturnType<typeof sthJson>;

export interface SearchResult {
  readonly index: number;
  /** The entry's timestamp (its SCT's), RFC 3339: results are sorted by it, then by index. */
  readonly timestamp: string;
  readonly san: string | null;
  readonly sans: readonly { type: string; value: string }[];
  readonly issuer: string | null;
  readonly notBefore: string | null;
  readonly serial: string | null;
  readonly keyFingerprint: string | null;
  /** Fulcio extensions by field name (issuer from .8, else .1). */
  readonly extensions: Readonly<Record<string, string>>;
  readonly precert: boolean;
  readonly inclusion: { readonly treeSize: number; readonly rootHash: string; readonly auditPath: readonly string[] };
}

export interface SearchAnswer {
  readonly results: SearchResult[];
  readonly sth: SthJson;
  readonly next: string | null;
}

function result(row: IndexRow, sth: TreeHead, auditPath: Buffer[]): SearchResult {
  return {
    index: row.index,
    timestamp: new Date(row.timestamp).toISOString(),
    san: row.san,
    sans: row.sans,
    issuer: row.issuer,
    notBefore: row.notBefore,
    serial: row.serial,
    keyFingerprint: row.keyFingerprint,
    extensions: row.extensions,
    precert: row.precert,
    inclusion: { treeSize: sth.treeSize, rootHash: sth.rootHash.toString('base64'), auditPath: auditPath.map((h) => h.toString('base64')) },
  };
}

export async function search(indexer: Indexer, proofs: ProofSource, q: SearchQuery): Promise<SearchAnswer> {
  const sth = await proofs.getSth();
  await indexer.catchUp(sth.treeSize);
  // Later pages read the entries the first page saw (a cursor carries its tree size): an entry logged meanwhile,
  // whatever its timestamp, is found by a new search, never skipped or shown twice by this one.
  const snapshot = Math.min(q.cursor?.treeSize ?? sth.treeSize, sth.treeSize);
  const rows = snapshot === 0 ? [] : await indexer.query(q, snapshot);
  const page = rows.slice(0, q.limit);
  const results = await Promise.all(page.map(async (row) => result(row, sth, await proofs.inclusionProof(row.index, sth.treeSize))));
  const last = page[page.length - 1];
  const next = rows.length > q.limit && last ? encodeCursor({ timestamp: last.timestamp, index: last.index, treeSize: snapshot }) : null;
  return { results, sth: sthJson(sth), next };
}
