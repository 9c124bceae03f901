// An RFC 6962 client over lib/http-client.ts (node:http keep-alive): what the CA needs (add-pre-chain with SCT verification) plus the read
// endpoints auditors and tests use. Every failure (connection, non-200, malformed or unverifiable answer) throws a
// CtClientError whose message says which log call failed and why, and whether the log was unavailable (no answer,
// or 5xx: worth a retry) or rejected the call (4xx, or an answer that cannot be used, such as an SCT that does not
// verify with the log's key). A connection failure's cause is an OutboundError (lib/outbound-error.ts): its code
// (ECONNREFUSED, a TLS error, ETIMEDOUT...), host and safe phrase.
import { decodeBase64 } from '../lib/base64.js';
import { httpRequest, type HttpResponse } from '../lib/http-client.js';
import type { Sct } from './structures.js';
import { signedEntryForChain, verifySct, verifySth, type TreeHead } from './verify.js';

export interface CtClientOptions {
  /** Base URL including any prefix, e.g. http://127.0.0.1:6962/test */
  readonly url: string;
  /** When given, every SCT and STH is verified with this DER SPKI before it is returned. */
  readonly logPublicKeySpki?: Buffer;
  readonly timeoutMs?: number;
  /** The Host header to send when it differs from the URL's (Fulcio's --ct-log-origin); TLS still names the URL's host. */
  readonly host?: string;
}

export interface ClientEntry {
  readonly leafInput: Buffer;
  readonly extraData: Buffer;
}

export interface CtClient {
  addChain(chainDer: readonly Buffer[]): Promise<Sct>;
  addPreChain(chainDer: readonly Buffer[]): Promise<Sct>;
  getSth(): Promise<TreeHead>;
  getSthConsistency(first: number, second: number): Promise<Buffer[]>;
  getProofByHash(leafHash: Buffer, treeSize: number): Promise<{ leafIndex: number; auditPath: Buffer[] }>;
  getEntries(start: number, end: number): Promise<ClientEntry[]>;
  getRoots(): Promise<Buffer[]>;
}

export class CtClientError extends Error {
  override readonly name = 'CtClientError';
  /** HTTP status when the log answered other than 200, undefined when it could not be reached or answered nonsense. */
  readonly status: number | undefined;
  /** The log answered, but refused (4xx) or with something unusable: retrying will not help. */
  readonly rejected: boolean;
  constructor(message: string, o: { status?: number; rejected: boolean; cause?: unknown }) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.status = o.status;
    this.rejected = o.rejected;
  }
}

type Json = Record<string, unknown>;

function field<T>(body: Json, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = body[name];
  if (!check(v)) throw new Error(`field ${name} is not ${what}`);
  return v;
}
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function base64(v: unknown, what: string): Buffer {
  const bytes = typeof v === 'string' ? decodeBase64(v) : undefined;
  if (bytes === undefined) throw new Error(`${what} is not base64`);
  return bytes;
}
const bytes = (body: Json, name: string): Buffer => base64(body[name], `field ${name}`);
const hashList = (body: Json, name: string): Buffer[] =>
  field(body, name, isArray, 'an array').map((h, i) => base64(h, `${name}[${i}]`));

export function createCtClient(options: CtClientOptions): CtClient {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const key = options.logPublicKeySpki;

  async function call<T>(endpoint: string, init: { query?: Record<string, string | number>; post?: unknown }, read: (body: Json) => T): Promise<T> {
    const qs = init.query ? `?${new URLSearchParams(Object.entries(init.query).map(([k, v]): [string, string] => [k, String(v)]))}` : '';
    const url = `${base}/ct/v1/${endpoint}${qs}`;
    let response: HttpResponse;
    try {
      response = await httpRequest(url, {
        method: init.post === undefined ? 'GET' : 'POST',
        headers: {
          ...(init.post === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' }),
          ...(options.host ? { host: options.host } : {}),
        },
        ...(init.post === undefined ? {} : { body: JSON.stringify(init.post) }),
        timeoutMs,
      });
    } catch (e) {
      throw new CtClientError(`CT log ${endpoint}: cannot reach ${base}: ${(e as Error).message}`, { rejected: false, cause: e });
    }
    const text = response.text;
    if (response.status !== 200)
      throw new CtClientError(`CT log ${endpoint}: HTTP ${response.status}: ${text.trim().slice(0, 300)}`, {
        status: response.status,
        rejected: response.status >= 400 && response.status < 500,
      });
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not a JSON object');
      return read(body as Json);
    } catch (e) {
      throw new CtClientError(`CT log ${endpoint}: bad response: ${(e as Error).message}`, { rejected: true, cause: e });
    }
  }

  async function add(endpoint: 'add-chain' | 'add-pre-chain', chainDer: readonly Buffer[]): Promise<Sct> {
    const sct = await call(endpoint, { post: { chain: chainDer.map((c) => c.toString('base64')) } }, (body): Sct => {
      if (body.sct_version !== 0) throw new Error('sct_version is not 0 (v1)');
      const logId = bytes(body, 'id');
      if (logId.length !== 32) throw new Error('id is not 32 bytes');
      const extensions = body.extensions === undefined || body.extensions === null ? Buffer.alloc(0) : bytes(body, 'extensions');
      return { version: 0, logId, timestamp: field(body, 'timestamp', isCount, 'a timestamp'), extensions, signature: bytes(body, 'signature') };
    });
    if (key) {
      let entry;
      try {
        entry = signedEntryForChain(chainDer, endpoint === 'add-chain' ? 'x509' : 'precert');
      } catch (e) {
        throw new CtClientError(`CT log ${endpoint}: cannot rebuild the leaf to check the SCT: ${(e as Error).message}`, { rejected: true, cause: e });
      }
      if (!verifySct(sct, entry, key))
        throw new CtClientError(`CT log ${endpoint}: the SCT does not verify with the configured log public key`, { rejected: true });
    }
    return sct;
  }

  return {
    addChain: (chain) => add('add-chain', chain),
    addPreChain: (chain) => add('add-pre-chain', chain),
    async getSth() {
      const sth = await call('get-sth', {}, (body) => ({
        treeSize: field(body, 'tree_size', isCount, 'a tree size'),
        timestamp: field(body, 'timestamp', isCount, 'a timestamp'),
        rootHash: bytes(body, 'sha256_root_hash'),
        signature: bytes(body, 'tree_head_signature'),
      }));
      if (key && !verifySth(sth, key)) throw new CtClientError('CT log get-sth: the STH signature does not verify', { rejected: true });
      return sth;
    },
    getSthConsistency: (first, second) =>
      call('get-sth-consistency', { query: { first, second } }, (body) => hashList(body, 'consistency')),
    getProofByHash: (leafHash, treeSize) =>
      call('get-proof-by-hash', { query: { hash: leafHash.toString('base64'), tree_size: treeSize } }, (body) => ({
        leafIndex: field(body, 'leaf_index', isCount, 'an index'),
        auditPath: hashList(body, 'audit_path'),
      })),
    getEntries: (start, end) =>
      call('get-entries', { query: { start, end } }, (body) =>
        field(body, 'entries', isArray, 'an array').map((e, i) => {
          if (typeof e !== 'object' || e === null) throw new Error(`entries[${i}] is not an object`);
          return { leafInput: bytes(e as Json, 'leaf_input'), extraData: bytes(e as Json, 'extra_data') };
        }),
      ),
    getRoots: () =>
      call('get-roots', {}, (body) => field(body, 'certificates', isArray, 'an array').map((c, i) => base64(c, `certificates[${i}]`))),
  };
}
