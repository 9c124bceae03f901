// search/: who got a certificate. An embedded SQLite index of every logged certificate's identity (SANs, issuer,
// Fulcio extensions, serial, key fingerprint, times), kept level with a log (in process from its store, or any
// RFC 6962 log over HTTP), queried by exact value, prefix, glob or regex (config/policy.ts's pattern language),
// answered with inclusion proofs to the current signed tree head (`GET /api/v1/search`), and verified client-side.
// May import: ct/, config/ (the pattern compiler), lib/. Imported by server/, cli/ (and tests, bench/); never by ct/.
export { openSearchIndex } from './index-db.js';
export type { SearchIndex, IndexRow, IndexedEntry } from './index-db.js';
export { createIndexer, storeSource, clientSource, indexedEntry } from './indexer.js';
export type { Indexer, EntrySource } from './indexer.js';
export { parseSearchQuery, SearchQueryError, encodeCursor, decodeCursor, DEFAULT_LIMIT, MAX_LIMIT } from './query.js';
export type { SearchQuery, SearchParams } from './query.js';
export { search } from './service.js';
export type { SearchAnswer, SearchResult, ProofSource, SthJson } from './service.js';
export { createSearchRouter } from './http.js';
export { startCompanionSearch, defaultSearchIndex, DEFAULT_POLL_MS } from './companion.js';
export type { CompanionSearch, SearchIndexSpec } from './companion.js';
