// A CA worker of `fulgor serve --workers N` (server/cluster.ts is the primary). It runs the whole CA (serve(): token
// verification, signing, the CA port shared with the other workers) with the primary's companion log as its SCT
// source: each precertificate chain goes to the primary over IPC and the SCT comes back once the entry is durable.
// Its audit lines go to the primary's audit log (one writer), each durable before the certificate is returned; its
// in-memory rate limits are the primary's buckets; its /metrics is every worker's, summed by the primary.
// It obeys the primary's orders: reload (SIGHUP at the primary) and stop (drain, then exit 0). SIGINT, SIGTERM and
// SIGHUP are ignored here: sent to the whole process group (Ctrl-C, a closed terminal, systemd's default KillMode)
// they are the primary's to act on. If the primary goes away, the worker drains and exits.
import type { Registry } from 'prom-client';
import { CtError, type LoggedSct } from '../ct/index.js';
import type { AuditLog } from './audit-log.js';
import type { RateLimiter } from './rate-limiter.js';
import { mailbox, unpack } from './cluster-mailbox.js';
import { fromWireSct, isMessage, type InitMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';
import { asBuffer } from '../lib/thread-bytes.js';
import { serve, type RunningFulgor, type ServeOptions } from './serve.js';

/** Messages to the primary, coalesced per turn of the event loop; `sent` hears whether the channel took them. */
const send = mailbox<ToPrimary>((m, sent) => {
  if (process.send && process.connected) process.send(m, undefined, undefined, sent);
  else sent(new Error('the IPC channel is closed'));
});

/** Calls `hear` with each of Fulgor's messages from the primary (a batch's in order). */
const onPrimaryMessages = (hear: (m: unknown) => void): void =>
  void process.on('message', (message: unknown) => {
    for (const m of unpack(message)) hear(m);
  });

/** The primary is gone or cannot be told: the log cannot be reached (CT_LOG_UNAVAILABLE). */
const primaryGone = () => new CtError(503, 'the cluster primary, which runs the CT log, cannot be reached');

type Answer = Extract<ToWorker, { id: number }>;

/** Requests to the primary, each paired with its answer by id; all fail at once when the primary goes away. */
function primaryCalls() {
  const pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  return {
    call(make: (id: number) => ToPrimary): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send(make(id), (e) => {
          if (e && pending.delete(id)) reject(primaryGone());
        });
      });
    },
    answered(a: Answer): void {
      const p = pending.get(a.id);
      if (!p) return;
      pending.delete(a.id);
      p.resolve(a);
    },
    failAll(): void {
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(primaryGone());
      }
    },
  };
}

/** The SCT (or the log's error) from the primary's answer. */
function loggedSct(a: Answer): LoggedSct {
  if (a.fulgor !== 'sct') throw new CtError(500, `the cluster primary answered ${a.fulgor} to a submission`);
  if (!('sct' in a)) throw new CtError(a.status, a.message);
  return {
    index: a.index,
    sct: fromWireSct(a.sct),
  };
}

/** The primary's audit log seen from a worker: each line resolves once the primary has it durable. */
function sharedAuditLog(target: string, calls: ReturnType<typeof primaryCalls>): AuditLog {
  const pending = new Set<Promise<unknown>>();
  return {
    target,
    async write(record) {
      const p = calls.call((id) => ({ fulgor: 'audit', id, record }));
      pending.add(p);
      const a = await p.finally(() => pending.delete(p));
      if (a.fulgor !== 'audited' || a.error !== undefined) throw new Error(`the audit log could not be written: ${a.fulgor === 'audited' ? a.error : a.fulgor}`);
    },
    reopen: () => undefined, // the primary reopens its file (SIGUSR1)
    async close() {
      await Promise.allSettled([...pending]); // refusal lines are not awaited by their requests: they are here
    },
  };
}

/** Runs one CA worker until the primary says stop; resolves once it listens (and has told the primary). */
export async function runClusterWorker(o: ServeOptions): Promise<RunningFulgor> {
  const calls = primaryCalls();
  let own: Registry | undefined; // this worker's metrics (once serve() has made them), which the primary gathers to sum them
  const init = new Promise<InitMessage>((resolve) => {
    onPrimaryMessages((m) => {
      if (isMessage(m, 'init')) resolve(m);
      else if (isMessage(m, 'gather')) void (own?.getMetricsAsJSON() ?? Promise.resolve([])).then((metrics) => send({ fulgor: 'gathered', id: m.id, metrics }));
      else if (isMessage(m, 'sct') || isMessage(m, 'audited') || isMessage(m, 'metricsText') || isMessage(m, 'rated')) calls.answered(m);
    });
  });
  send({ fulgor: 'hello' });
  const { log } = await init;
  const submitPreChain = async (chain: readonly Buffer[]): Promise<LoggedSct> => loggedSct(await calls.call((id) => ({ fulgor: 'submit', id, chain: [...chain] })));
  const clusterMetrics = {
    share: (registry: Registry) => void (own = registry),
    async render() {
      const a = await calls.call((id) => ({ fulgor: 'metrics', id }));
      if (a.fulgor !== 'metricsText' || a.text === undefined) throw new Error(`the cluster metrics could not be gathered: ${a.fulgor === 'metricsText' ? a.error : a.fulgor}`);
      return a.text;
    },
  };
  const sharedBuckets: RateLimiter = {
    async check(buckets) {
      const a = await calls.call((id) => ({ fulgor: 'rate', id, buckets }));
      if (a.fulgor !== 'rated' || a.result === undefined) throw new Error(`the rate limits could not be checked: ${a.fulgor === 'rated' ? a.error : a.fulgor}`);
      return a.result;
    },
    close: async () => undefined,
  };
  const running = await serve({
    ...o,
    clusterMetrics,
    rateLimit: { ...o.rateLimit, shared: sharedBuckets },
    ...(log ? { sharedLog: { url: log.url, spki: asBuffer(log.spki), roots: log.roots.map(asBuffer), submitPreChain } } : {}),
    ...(o.auditLog !== undefined ? { sharedAudit: sharedAuditLog(o.auditLog, calls) } : {}),
  });

  let stopped = false;
  const stop = (drainMs: number): void => {
    if (stopped) return;
    stopped = true;
    running.close({ drainMs }).then(
      () => process.exit(0),
      (e: unknown) => {
        o.logger.log('error', 'stopping the CA worker failed', { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  onPrimaryMessages((m) => {
    if (isMessage(m, 'reload')) void running.reload().catch(() => undefined); // reload() logs every problem itself
    else if (isMessage(m, 'stop')) stop(m.drainMs);
  });
  process.on('disconnect', () => {
    // The primary is gone: nothing can be logged any more; what waits for an SCT or an audit line fails now, the rest drains.
    calls.failAll();
    stop(0);
  });
  // Signals sent to the whole group (Ctrl-C, a closed terminal, systemd's SIGTERM to the control group) are the
  // primary's to act on: it stops the workers first and the log last, and must not mistake their exits for crashes.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  send({ fulgor: 'ready', caUrl: running.caUrl });
  return running;
}
