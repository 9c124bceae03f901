// `fulgor serve --workers N`: the primary of a node:cluster. It owns the companion CT log (the only sequencer: with
// the file store it holds the single-writer lock; its port, search index and /ui/ are served here) and forks N CA
// workers that share the CA port. Each worker verifies tokens and signs certificates (server/cluster-worker.ts); it
// hands each precertificate chain to the primary over the cluster's IPC channel and gets the SCT back only once
// the entry is durable (the same submitPreChain as in one process). With an external log (--ct-log-url) the
// primary opens no log and the workers reach the log over HTTP themselves. The audit log (--audit-log) has one
// writer, the primary: a worker's line is appended and fsynced here before the worker returns the certificate.
// GET /metrics on the CA port, whichever worker answers it, gives every worker's metrics and the primary's (the
// audit-log batches it writes) summed (server/cluster-metrics.ts: counters and histograms add up, fulgor_build_info
// is one). Rate limits kept in memory are the primary's buckets (one budget for the server, as with one process);
// with --rate-limit-redis every worker shares Redis directly, and the primary's buckets are the fallback.
// reload() (SIGHUP) re-reads the log's TLS files and tells every worker to reload (TLS, keys directory, identity
// config). close() (SIGTERM) tells every worker to drain and waits for them to exit, answering their submissions all
// the while; only then is the log drained and closed. A worker that dies is replaced; a chain it submitted is
// still logged (its SCT answer goes nowhere), so no SCT that was returned lacks its entry.
import cluster, { type Worker } from 'node:cluster';
import { Registry } from 'prom-client';
import { isCtError } from '../ct/index.js';
import { DEFAULT_DRAIN_MS } from '../lib/listen.js';
import { KeyError } from '../signer/index.js';
import { openAuditLog, type AuditLog } from './audit-log.js';
import { metricsGatherer } from './cluster-metrics.js';
import { auditMetrics } from './metrics.js';
import { memoryRateLimiter } from './rate-limiter.js';
import { systemClock } from '../lib/clock.js';
import { mailbox, unpack } from './cluster-mailbox.js';
import { isMessage, toWireSct, type AuditMessage, type RateMessage, type SctMessage, type SubmitMessage, type ToWorker } from './cluster-messages.js';
import { asBuffer } from '../lib/thread-bytes.js';
import { checkServeOptions, startPrimaryLog, type ServeOptions } from './serve.js';
import { reloadTls } from './tls-reload.js';
import { applyServingHeapSettings } from '../lib/serving-heap.js';

/** How long a worker may take to exit after its drain timeout before it is killed. */
const EXIT_GRACE_MS = 5_000;

export interface RunningCluster {
  readonly caUrl: string;
  readonly ctUrl: string;
  /** Reloads the log's TLS files and every worker (each logs its own result). */
  reload(): void;
  /** Reopens the audit log (SIGUSR1): the primary is its one writer. */
  reopenAuditLog(): void;
  /** Drains every worker, then the log. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Each worker's mailbox: messages to it, coalesced per turn of the event loop. */
const mailboxes = new WeakMap<Worker, (m: ToWorker) => void>();

/** Sends `m` to `w` if it can still hear it (a dead worker's answer is dropped, not thrown). */
function tell(w: Worker, m: ToWorker): void {
  let post = mailboxes.get(w);
  if (!post) {
    post = mailbox<ToWorker>((message, done) => {
      if (w.isConnected()) w.send(message, undefined, done);
    });
    mailboxes.set(w, post);
  }
  post(m);
}

export async function serveCluster(o: ServeOptions, workers: number): Promise<RunningCluster> {
  if (!cluster.isPrimary) throw new Error('serveCluster runs in the cluster primary');
  checkServeOptions(o);
  applyServingHeapSettings();
  const primaryLog = o.ctLogUrl ? undefined : await startPrimaryLog(o);
  // The primary's own metrics: the audit-log batches it writes for every worker (summed with theirs on GET /metrics).
  const primaryMetrics = new Registry();
  const auditObserver = auditMetrics([primaryMetrics]);
  let audit: AuditLog | undefined;
  try {
    if (o.auditLog !== undefined) audit = await openAuditLog(o.auditLog, { logger: o.logger, observer: auditObserver });
  } catch (e) {
    await primaryLog?.close();
    throw new Error(`--audit-log ${o.auditLog}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const ctUrl = o.ctLogUrl ?? (primaryLog?.companion.url as string);
  const live = new Set<Worker>();
  let stopping = false;
  let started = false;
  let caUrl: string | undefined;

  const submit = async (w: Worker, m: SubmitMessage): Promise<void> => {
    let answer: SctMessage;
    try {
      const { sct, index } = await (primaryLog?.companion.log.submitPreChain(m.chain.map(asBuffer)) ??
        Promise.reject(new Error('no companion log in the primary')));
      answer = { fulgor: 'sct', id: m.id, index, sct: toWireSct(sct) };
    } catch (e) {
      answer = { fulgor: 'sct', id: m.id, status: isCtError(e) ? e.status : 500, message: e instanceof Error ? e.message : String(e) };
    }
    tell(w, answer);
  };
  const metrics = metricsGatherer(primaryMetrics);
  const gatherMetrics = (w: Worker, id: number): void => {
    metrics.render(readyWorkers).then(
      (text) => tell(w, { fulgor: 'metricsText', id, text }),
      (e: unknown) => tell(w, { fulgor: 'metricsText', id, error: e instanceof Error ? e.message : String(e) }),
    );
  };
  const buckets = memoryRateLimiter(o.clock ?? systemClock);
  const rate = (w: Worker, m: RateMessage): void => {
    buckets.check(m.buckets).then(
      (result) => tell(w, { fulgor: 'rated', id: m.id, result }),
      (e: unknown) => tell(w, { fulgor: 'rated', id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
  };
  const writeAudit = (w: Worker, m: AuditMessage): void => {
    (audit?.write(m.record) ?? Promise.reject(new Error('no audit log'))).then(
      () => tell(w, { fulgor: 'audited', id: m.id }),
      (e: unknown) => tell(w, { fulgor: 'audited', id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
  };

  const readyWorkers = new Set<Worker>();
  let startFailed: (e: Error) => void = () => undefined;
  let allReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    allReady = resolve;
    startFailed = reject;
  });

  const fork = (): Worker => {
    const w = cluster.fork();
    live.add(w);
    w.on('message', (message: unknown) => {
      for (const m of unpack(message)) hear(w, m);
    });
    const hear = (w: Worker, m: unknown): void => {
      if (isMessage(m, 'submit')) void submit(w, m);
      else if (isMessage(m, 'audit')) writeAudit(w, m);
      else if (isMessage(m, 'metrics')) gatherMetrics(w, m.id);
      else if (isMessage(m, 'gathered')) metrics.answered(m);
      else if (isMessage(m, 'rate')) rate(w, m);
      else if (isMessage(m, 'hello'))
        tell(w, { fulgor: 'init', ...(primaryLog ? { log: { url: ctUrl, spki: primaryLog.spki, roots: primaryLog.roots } } : {}) });
      else if (isMessage(m, 'ready')) {
        caUrl ??= m.caUrl;
        o.logger.log('info', 'CA worker ready', { pid: w.process.pid });
        readyWorkers.add(w);
        if (readyWorkers.size === workers) allReady();
      }
    };
    w.once('exit', (code, signal) => {
      live.delete(w);
      readyWorkers.delete(w);
      if (stopping) return;
      if (!started) {
        // A worker that cannot start (its error is on stderr) stops the whole server, with its exit status.
        const why = `a CA worker exited while starting (${signal ?? `status ${code}`})`;
        startFailed(code === 2 ? new KeyError(why) : new Error(why));
        return;
      }
      o.logger.log('warn', 'a CA worker exited; starting another', { pid: w.process.pid, code, signal });
      fork();
    });
    return w;
  };

  cluster.setupPrimary({ serialization: 'advanced' });
  for (let i = 0; i < workers; i++) fork();

  const stopWorkers = async (drainMs: number): Promise<void> => {
    stopping = true;
    const exits = [...live].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          // One still starting does not hear messages yet: SIGTERM ends it (its handler is not installed either).
          if (!readyWorkers.has(w)) w.process.kill('SIGTERM');
          const kill = setTimeout(() => w.process.kill('SIGKILL'), drainMs + EXIT_GRACE_MS);
          w.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          tell(w, { fulgor: 'stop', drainMs });
        }),
    );
    await Promise.all(exits);
  };

  try {
    await ready;
  } catch (e) {
    await stopWorkers(0);
    await primaryLog?.close();
    await audit?.close();
    throw e;
  }
  started = true;
  o.logger.log('info', 'listening', { ca: caUrl, ct: ctUrl, workers });
  return {
    caUrl: caUrl as string,
    ctUrl,
    reload() {
      reloadTls(o.logger, [['CT log', primaryLog?.companion]]);
      for (const w of live) tell(w, { fulgor: 'reload' });
    },
    async close(options = {}) {
      const drainMs = options.drainMs ?? o.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
      const deadline = Date.now() + drainMs;
      await stopWorkers(drainMs);
      await primaryLog?.close({ drainMs: Math.max(0, deadline - Date.now()) });
      await audit?.close();
    },
    reopenAuditLog() {
      audit?.reopen();
    },
  };
}
