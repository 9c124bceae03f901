// Following a log: one poll reads the log's STH (its signature verified with the log's key by the CT client),
// proves it consistent with the last verified one (get-sth-consistency), reads the new entries with get-entries in
// batches (a log may answer fewer than asked; the next batch starts where the answer ended), checks that they hash to
// the signed root, decodes each, and reports every certificate a watch rule matches. Anything the log says that
// contradicts what was verified before is reported as a `log_inconsistent` finding and the state is not advanced.
import { entryIdentity } from '../ct/entry-identity.js';
import {
  createCtClient,
  EMPTY_ROOT,
  frontierFromLastLeaf,
  hashLeaf,
  logIdFor,
  MerkleFrontier,
  verifyConsistency,
  type CtClient,
  type TreeHead,
} from '../ct/index.js';
import { certificateFinding, sthSummary, type Finding, type InconsistencyFinding } from './finding.js';
import { ruleFinding, type WatchRules } from './rules.js';
import { readState, writeState, type MonitorState } from './state.js';
import { postFinding, type WebhookOptions } from './webhook.js';

/** get-entries batch size asked for by default (Fulgor's log answers at most 1000; others fewer, which is fine). */
export const DEFAULT_BATCH_SIZE = 1000;

export interface MonitorOptions {
  /** The log's base URL (before /ct/v1/). */
  readonly logUrl: string;
  /** The log's public key (DER SPKI): every STH is verified with it. */
  readonly logPublicKeySpki: Buffer;
  readonly rules: WatchRules;
  /** Where the state lives between runs; without it every run starts afresh. */
  readonly statePath?: string;
  readonly webhook?: WebhookOptions;
  readonly batchSize?: number;
  /** With no state: start at the log's current end instead of its first entry. */
  readonly startAtEnd?: boolean;
  /** One finding, as a JSON line (stdout). */
  readonly report: (line: string) => void;
  /** Progress and problems in words (stderr). */
  readonly warn: (line: string) => void;
}

export interface PollResult {
  /** Certificates reported by a rule in this poll. */
  readonly findings: number;
  /** The log contradicted a verified STH (fork, rewind, or entries its root does not cover). */
  readonly inconsistent: boolean;
  /** Findings the webhook has not accepted (kept in the state for the next poll). */
  readonly undelivered: number;
  readonly treeSize: number;
  readonly entriesRead: number;
}

export class IdentityMonitor {
  private readonly client: CtClient;
  private readonly logId: string;
  private state: MonitorState | undefined;
  private loaded = false;
  private lastInconsistency: string | undefined;
  private undelivered: Finding[] = [];

  constructor(private readonly o: MonitorOptions) {
    this.client = createCtClient({ url: o.logUrl, logPublicKeySpki: o.logPublicKeySpki });
    this.logId = logIdFor(o.logPublicKeySpki).toString('base64');
  }

  /** The state as it stands (after the last completed batch). */
  get current(): MonitorState | undefined {
    return this.state;
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    const s = this.o.statePath === undefined ? undefined : await readState(this.o.statePath);
    if (s !== undefined && s.logId !== this.logId)
      throw new Error(`${this.o.statePath} is the state of the log with ID ${s.logId}, not of this key's log (${this.logId})`);
    this.state = s;
    this.undelivered = [...(s?.undelivered ?? [])];
    this.loaded = true;
  }

  private async save(s: MonitorState): Promise<void> {
    // A copy: the caller keeps appending to its frontier, and this.state must stay what the file says.
    this.state = { ...s, frontier: new MerkleFrontier(s.frontier.size, s.frontier.hashes), undelivered: [...s.undelivered] };
    if (this.o.statePath !== undefined) await writeState(this.o.statePath, s, this.o.logUrl);
  }

  /** Prints a finding and posts it to the webhook; a finding the webhook refuses is kept for the next poll. */
  private async emit(f: Finding): Promise<void> {
    this.o.report(JSON.stringify(f));
    await this.deliver(f);
  }

  private async deliver(f: Finding): Promise<boolean> {
    if (this.o.webhook === undefined) return true;
    const failure = await postFinding(this.o.webhook, f);
    if (failure === undefined) return true;
    const kept =
      this.o.statePath === undefined
        ? 'it is sent again at the next poll while this process runs (give --state to keep it across runs)'
        : 'it is kept in the state and sent again at the next poll';
    this.o.warn(`webhook ${this.o.webhook.url} did not accept a ${f.kind} finding: ${failure}; ${kept}`);
    this.undelivered.push(f);
    return false;
  }

  private async retryUndelivered(): Promise<void> {
    const pending = this.undelivered;
    this.undelivered = [];
    for (const f of pending) await this.deliver(f);
  }

  /** Why `next` cannot follow `prev` in an honest log, or undefined when it is proven consistent. */
  private async inconsistency(prev: TreeHead, next: TreeHead): Promise<Pick<InconsistencyFinding, 'reason' | 'detail'> | undefined> {
    if (next.treeSize < prev.treeSize)
      return { reason: 'rewind', detail: `the log's tree size went back from ${prev.treeSize} to ${next.treeSize}` };
    if (next.timestamp < prev.timestamp)
      return { reason: 'rewind', detail: `the log's STH timestamp went back from ${prev.timestamp} to ${next.timestamp}` };
    if (next.treeSize === prev.treeSize) {
      if (next.rootHash.equals(prev.rootHash)) return undefined;
      return { reason: 'fork', detail: `the log signed two different roots for tree size ${next.treeSize}` };
    }
    if (prev.treeSize === 0) {
      return prev.rootHash.equals(EMPTY_ROOT) ? undefined : { reason: 'fork', detail: 'the verified empty tree has a root other than the empty hash' };
    }
    const proof = await this.client.getSthConsistency(prev.treeSize, next.treeSize);
    if (verifyConsistency(prev.treeSize, next.treeSize, prev.rootHash, next.rootHash, proof)) return undefined;
    return { reason: 'fork', detail: `the log's tree of size ${next.treeSize} is not an extension of the verified tree of size ${prev.treeSize} (the consistency proof does not verify)` };
  }

  private async reportInconsistency(verified: TreeHead, current: TreeHead, why: Pick<InconsistencyFinding, 'reason' | 'detail'>): Promise<PollResult> {
    const key = `${why.reason}:${current.treeSize}:${current.rootHash.toString('hex')}`;
    this.o.warn(`LOG INCONSISTENT (${why.reason}): ${this.o.logUrl}: ${why.detail}; the monitor state is not advanced`);
    if (key !== this.lastInconsistency) {
      this.lastInconsistency = key;
      await this.emit({ kind: 'log_inconsistent', log: this.o.logUrl, ...why, verified: sthSummary(verified), current: sthSummary(current) });
    }
    return { findings: 0, inconsistent: true, undelivered: this.undelivered.length, treeSize: current.treeSize, entriesRead: 0 };
  }

  /** The frontier of the log's current tree, from its last leaf and that leaf's audit path (--start-at-end). */
  private async frontierAtEnd(sth: TreeHead): Promise<MerkleFrontier | undefined> {
    if (sth.treeSize === 0) return new MerkleFrontier();
    const [last] = await this.client.getEntries(sth.treeSize - 1, sth.treeSize - 1);
    if (last === undefined) throw new Error(`get-entries returned no entry ${sth.treeSize - 1}`);
    const leafHash = hashLeaf(last.leafInput);
    const proof = await this.client.getProofByHash(leafHash, sth.treeSize);
    const frontier = proof.leafIndex === sth.treeSize - 1 ? frontierFromLastLeaf(sth.treeSize, leafHash, proof.auditPath) : null;
    return frontier !== null && frontier.root().equals(sth.rootHash) ? frontier : undefined;
  }

  /** One pass: up to the log's current STH (or until `stop()` says so, between batches). */
  async poll(stop: () => boolean = () => false): Promise<PollResult> {
    await this.load();
    await this.retryUndelivered();
    const sth = await this.client.getSth();
    const prev = this.state;
    const logId = this.logId;
    if (prev === undefined && this.o.startAtEnd) {
      const frontier = await this.frontierAtEnd(sth);
      if (frontier === undefined)
        return this.reportInconsistency(sth, sth, { reason: 'entries_mismatch', detail: `the last entry's audit path does not lead to the signed root of size ${sth.treeSize}` });
      await this.save({ logId, sth, frontier, undelivered: this.undelivered });
      this.o.warn(`starting at the end of ${this.o.logUrl}: tree size ${sth.treeSize}`);
      return { findings: 0, inconsistent: false, undelivered: this.undelivered.length, treeSize: sth.treeSize, entriesRead: 0 };
    }
    if (prev !== undefined) {
      const why = await this.inconsistency(prev.sth, sth);
      if (why !== undefined) return this.reportInconsistency(prev.sth, sth, why);
    }
    const frontier = prev === undefined ? new MerkleFrontier() : new MerkleFrontier(prev.frontier.size, prev.frontier.hashes);
    const batch = this.o.batchSize ?? DEFAULT_BATCH_SIZE;
    let findings = 0;
    let entriesRead = 0;
    while (frontier.size < sth.treeSize && !stop()) {
      const start = frontier.size;
      const end = Math.min(start + batch, sth.treeSize) - 1;
      const entries = await this.client.getEntries(start, end);
      if (entries.length === 0 || entries.length > end - start + 1)
        throw new Error(`get-entries ${start}-${end} returned ${entries.length} entries`);
      const matched: Finding[] = [];
      entries.forEach((e, i) => {
        const index = start + i;
        frontier.push(hashLeaf(e.leafInput));
        let entry;
        try {
          entry = entryIdentity(e.leafInput);
        } catch (err) {
          this.o.warn(`entry ${index}: cannot decode its certificate (${(err as Error).message}); no rule can match it`);
          return;
        }
        for (const rule of this.o.rules.rules) {
          const m = ruleFinding(rule, entry.identity);
          if (m !== undefined) matched.push(certificateFinding({ rule: rule.name, log: this.o.logUrl, index, entry, matched: m }));
        }
      });
      entriesRead += entries.length;
      for (const f of matched) await this.emit(f);
      findings += matched.length;
      if (frontier.size === sth.treeSize && !frontier.root().equals(sth.rootHash)) {
        const verified = prev?.sth ?? sth;
        const r = await this.reportInconsistency(verified, sth, {
          reason: 'entries_mismatch',
          detail: `the entries get-entries returned up to ${sth.treeSize} do not hash to the signed root of that size`,
        });
        return { ...r, findings, entriesRead };
      }
      await this.save({ logId, sth, frontier, undelivered: this.undelivered });
    }
    await this.save({ logId, sth, frontier, undelivered: this.undelivered });
    return { findings, inconsistent: false, undelivered: this.undelivered.length, treeSize: sth.treeSize, entriesRead };
  }
}
