// `fulgor search`: who got a certificate. Against a log URL it asks the log's search API (GET /api/v1/search), or,
// when the log has none (any other RFC 6962 log), indexes the log itself by following get-entries; against
// --ct-storage it reads the log's store directly (the log must not be running on a file store: it holds the lock).
// Every result is verified with the log's public key (search/verify.ts) before it is printed: without
// --log-public-key results print with verified:false and a warning; a result the log cannot prove stays in the
// output, marked. Exit status: 0, or 1 when a key was given and some result did not verify (2 for bad flags).
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createCtClient } from '../ct/client.js';
import { inclusionProof } from '../ct/merkle.js';
import { describeStorage, openStore } from '../ct/open-store.js';
import type { LogStore } from '../ct/store.js';
import { logIdFor } from '../ct/structures.js';
import { hashLeaf } from '../ct/merkle.js';
import { silentLogger } from '../lib/log.js';
import {
  clientSource,
  createIndexer,
  openSearchIndex,
  parseSearchQuery,
  search,
  SearchQueryError,
  storeSource,
  type EntrySource,
  type ProofSource,
  type SearchAnswer,
  type SearchParams,
} from '../search/index.js';
import { fetchSearchPage } from '../search/api-client.js';
import { verifyResults, type VerifiedResult } from '../search/verify.js';
import { flag, listFlag, type Flags } from './flags.js';

const MAX_PAGE = 1000;

class SearchUsageError extends Error {}

/** The query flags as API parameters. */
export function searchParams(flags: Flags): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  const put = (k: string, v: string) => (params[k] ??= []).push(v);
  for (const name of ['san', 'issuer', 'serial', 'key']) for (const v of listFlag(flags, name)) put(name, v);
  for (const name of ['since', 'until']) {
    const v = flag(flags, name);
    if (v !== undefined) put(name, v);
  }
  for (const e of listFlag(flags, 'ext')) {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new SearchUsageError(`--ext takes NAME=VALUE (a Fulcio field name or OID, then a value or pattern), not ${JSON.stringify(e)}`);
    put(`ext.${e.slice(0, eq)}`, e.slice(eq + 1));
  }
  return params;
}

function limitFlag(flags: Flags): number {
  const v = flag(flags, 'limit');
  if (v === undefined) return 100;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1) throw new SearchUsageError('--limit must be a positive integer');
  return Number(v);
}

/** A terminal-safe rendering of an attacker-chosen string: control characters shown as \xNN. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const safe = (s: string | null): string => (s ?? '-').replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function table(results: readonly VerifiedResult[]): string {
  const rows = [['TIME', 'INDEX', 'SAN', 'ISSUER', 'SERIAL', 'VERIFIED'], ...results.map((r) => [r.timestamp, String(r.index), safe(r.san), safe(r.issuer), safe(r.serial), r.verified ? 'yes' : `NO (${r.problem})`])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

interface Backend {
  page(params: SearchParams): Promise<SearchAnswer>;
  leafAt(index: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Searches a log the way --ct-storage and logs without the API need: a local index, proofs computed from `proofs`. */
function localBackend(source: EntrySource, proofs: ProofSource, indexLocation: string, leafAt: (i: number) => Promise<Buffer>, close: () => Promise<void>): Backend {
  const index = openSearchIndex(indexLocation);
  const indexer = createIndexer(index, source);
  return {
    page: (params) => search(indexer, proofs, parseSearchQuery(params)),
    leafAt,
    async close() {
      await indexer.stop();
      index.close();
      await close();
    },
  };
}

async function storeBackend(flags: Flags, storage: string, logSpki: Buffer | undefined, indexLocation: string): Promise<Backend> {
  const redisPrefix = flag(flags, 'ct-redis-prefix');
  const store: LogStore = await openStore({ storage, logger: silentLogger, ...(redisPrefix ? { redisPrefix } : {}) });
  const proofs: ProofSource = {
    async getSth() {
      const sth = await store.latestSth();
      if (!sth) throw new Error(`the log in ${describeStorage(storage)} has not signed a tree head yet`);
      return sth;
    },
    inclusionProof: (i, size) => inclusionProof(store, i, size),
  };
  const logId = logSpki ? logIdFor(logSpki).toString('base64') : `storage:${describeStorage(storage)}`;
  const leafAt = async (i: number) => (await store.getEntries(i, i + 1))[0]!.leafInput;
  return localBackend(storeSource(store, logId), proofs, indexLocation, leafAt, () => store.close());
}

function urlBackend(url: string, logSpki: Buffer | undefined, indexLocation: string): Backend {
  // The STH is checked by verifyResults, not by the client: a wrong key marks results unverified rather than failing.
  const client = createCtClient({ url });
  const leafAt = async (i: number) => {
    const [entry] = await client.getEntries(i, i);
    if (!entry) throw new Error(`the log returned no entry ${i}`);
    return entry.leafInput;
  };
  let local: Backend | undefined;
  const proofs: ProofSource = {
    getSth: () => client.getSth(),
    inclusionProof: async (i, size) => (await client.getProofByHash(hashLeaf(await leafAt(i)), size)).auditPath,
  };
  return {
    async page(params) {
      if (!local) {
        const answer = await fetchSearchPage(url, params);
        if (answer) return answer;
        process.stderr.write(`fulgor search: ${url} has no search API; indexing it by following get-entries\n`);
        const logId = logSpki ? logIdFor(logSpki).toString('base64') : `url:${url}`;
        local = localBackend(clientSource(client, logId), proofs, indexLocation, leafAt, async () => {});
      }
      return local.page(params);
    },
    leafAt,
    close: async () => local?.close(),
  };
}

/** Flags that cannot make a search: exit 2 with the reason. */
function usage(flags: Flags): { url?: string; storage?: string; params: Record<string, string[]>; limit: number } | undefined {
  try {
    const url = flag(flags, 'log-url');
    const storage = flag(flags, 'ct-storage');
    if ((url === undefined) === (storage === undefined)) throw new SearchUsageError('give exactly one of --log-url URL or --ct-storage file:DIR|redis://...');
    const params = searchParams(flags);
    parseSearchQuery(params); // bad patterns and times are refused here, before any network or storage
    return { ...(url ? { url } : {}), ...(storage ? { storage } : {}), params, limit: limitFlag(flags) };
  } catch (e) {
    if (!(e instanceof SearchUsageError || e instanceof SearchQueryError)) throw e;
    process.stderr.write(`fulgor search: ${e.message.replace(/^parameter (\S+)/, (_, p: string) => `--${p.startsWith('ext.') ? 'ext' : p}`)}\n`);
    process.exitCode = 2;
    return undefined;
  }
}

export async function searchCommand(flags: Flags): Promise<void> {
  const checked = usage(flags);
  if (!checked) return;
  const { url, storage, params, limit } = checked;
  const keyPath = flag(flags, 'log-public-key');
  const logSpki = keyPath ? createPublicKey(readFileSync(keyPath, 'utf8')).export({ type: 'spki', format: 'der' }) : undefined;
  const indexLocation = flag(flags, 'search-index') ?? ':memory:';
  if (!logSpki) process.stderr.write('fulgor search: warning: no --log-public-key: results are not verified (verified: false)\n');
  const backend = url ? urlBackend(url, logSpki, indexLocation) : await storeBackend(flags, storage as string, logSpki, indexLocation);
  const out: VerifiedResult[] = [];
  try {
    let cursor: string | undefined;
    while (out.length < limit) {
      const page = await backend.page({ ...params, limit: String(Math.min(MAX_PAGE, limit - out.length)), ...(cursor ? { cursor } : {}) });
      out.push(...(await verifyResults(page.results, page.sth, { logSpki, leafAt: (i) => backend.leafAt(i) })));
      if (page.next === null) break;
      cursor = page.next;
    }
  } finally {
    await backend.close();
  }
  process.stdout.write(flags['json'] === true ? `${JSON.stringify(out, null, 2)}\n` : table(out));
  if (logSpki && out.some((r) => !r.verified)) {
    process.stderr.write(`fulgor search: ${out.filter((r) => !r.verified).length} result(s) could not be verified with ${keyPath}\n`);
    process.exitCode = 1;
  }
}
