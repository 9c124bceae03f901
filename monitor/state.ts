// What the identity monitor remembers between runs (`--state FILE`, JSON, replaced atomically): the last STH it
// verified (signature, then consistency with the one before), the next entry index to read, the Merkle frontier of
// the entries read so far (so that the entries can be checked against a signed root without reading them again),
// and the findings a webhook has not accepted yet.
import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../lib/atomic-file.js';
import { MerkleFrontier, type TreeHead } from '../ct/index.js';
import type { Finding } from './finding.js';

export interface MonitorState {
  /** SHA-256 of the log's public key (its RFC 6962 log ID), base64. */
  readonly logId: string;
  /** The last verified STH. */
  readonly sth: TreeHead;
  /** The entries [0, frontier.size) have been read and matched; frontier.size is the next index to read. */
  readonly frontier: MerkleFrontier;
  /** Findings printed but not yet accepted by the webhook; sent again at the next poll. */
  readonly undelivered: readonly Finding[];
}

interface StateFile {
  version: 1;
  logUrl: string;
  logId: string;
  sth: { treeSize: number; timestamp: number; rootHash: string; signature: string };
  nextIndex: number;
  frontier: string[];
  undelivered: Finding[];
}

const b64 = (b: Buffer) => b.toString('base64');

export function serializeState(s: MonitorState, logUrl: string): string {
  const file: StateFile = {
    version: 1,
    logUrl,
    logId: s.logId,
    sth: { treeSize: s.sth.treeSize, timestamp: s.sth.timestamp, rootHash: b64(s.sth.rootHash), signature: b64(s.sth.signature) },
    nextIndex: s.frontier.size,
    frontier: s.frontier.hashes.map(b64),
    undelivered: [...s.undelivered],
  };
  return JSON.stringify(file, null, 2) + '\n';
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function base64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new Error(`${what} is not base64`);
  return Buffer.from(v, 'base64');
}

export function parseState(text: string): MonitorState {
  const f = JSON.parse(text) as Partial<StateFile>;
  if (typeof f !== 'object' || f === null || f.version !== 1) throw new Error('not a version 1 monitor state');
  const sth = f.sth;
  if (typeof sth !== 'object' || sth === null || !isCount(sth.treeSize) || !isCount(sth.timestamp)) throw new Error('sth is malformed');
  if (!isCount(f.nextIndex) || f.nextIndex > sth.treeSize) throw new Error('nextIndex is not an index within the stored tree');
  if (!Array.isArray(f.frontier) || !Array.isArray(f.undelivered) || typeof f.logId !== 'string') throw new Error('frontier, undelivered or logId is malformed');
  return {
    logId: f.logId,
    sth: { treeSize: sth.treeSize, timestamp: sth.timestamp, rootHash: base64(sth.rootHash, 'sth.rootHash'), signature: base64(sth.signature, 'sth.signature') },
    frontier: new MerkleFrontier(f.nextIndex, f.frontier.map((h, i) => base64(h, `frontier[${i}]`))),
    undelivered: f.undelivered,
  };
}

/** The state in `path`, or undefined when the file does not exist; throws on a file that is not a monitor state. */
export async function readState(path: string): Promise<MonitorState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return parseState(text);
  } catch (e) {
    throw new Error(`${path}: not a usable monitor state: ${(e as Error).message}`, { cause: e });
  }
}

export const writeState = (path: string, s: MonitorState, logUrl: string): Promise<void> => writeFileAtomically(path, serializeState(s, logUrl), 0o600);
