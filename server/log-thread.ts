// `fulgor serve`'s companion log on a thread of its own (server/log-thread-worker.ts), seen from the CA on the main
// thread as a SharedLog: submitPreChain posts the chain and resolves with the SCT once the entry is durable, or
// rejects with the log's own status (a CtError: 400 for a chain it refuses, 503 while its store is down). The
// messages of one turn go as one (lib/per-turn.ts). If the thread dies outside close(), what waits fails with 503
// and the process ends with the thread's error, as an uncaught error of a log in the CA's thread would end it.
import { Worker } from 'node:worker_threads';
import type { KeyMaterial } from '../config/keys-dir.js';
import { CtError, type LoggedSct } from '../ct/index.js';
import { perTurn } from '../lib/per-turn.js';
import { KeyError } from '../signer/index.js';
import { fromWireSct } from './cluster-messages.js';
import { asBuffer } from '../lib/thread-bytes.js';
import type { CompanionLogOptions, SharedLog } from './companion-log.js';
import type { FromLogThread, LogThreadData, ToLogThread } from './log-thread-messages.js';

type Answer = Extract<FromLogThread, { id: number }>;
type Request = ToLogThread extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export interface LogThread {
  /** The log as the CA uses it (its URL, key and roots; submitPreChain). */
  readonly log: SharedLog;
  /** Re-reads the log listener's TLS files in the thread (logged there); true when a new pair is served. */
  reloadTls(): Promise<boolean>;
  /** Stops the log's listener (in-flight requests get drainMs), closes its search index and store, and ends the thread. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Every option of the log but its logger. */
const THREAD_OPTIONS = ['host', 'ctPort', 'ctStorage', 'ctRedisPrefix', 'ctPrefix', 'searchIndex', 'ctTls', 'keysDir', 'keyPassphraseFile', 'strictKeyPermissions', 'env', 'leafSignaturesOnThread'] as const satisfies readonly (keyof LogThreadData['options'])[];

// An option added to CompanionLogOptions and not listed above fails to compile here.
const allOptionsListed: Exclude<keyof LogThreadData['options'], (typeof THREAD_OPTIONS)[number]> extends never ? true : never = true;
void allOptionsListed;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Starts the thread; resolves once the log listens (rejects with why it could not: a KeyError for its key). */
export function startLogThread(o: CompanionLogOptions, keys: Pick<KeyMaterial, 'ctKey' | 'ctPublicKey'>, roots: Buffer[]): Promise<LogThread> {
  const { logger } = o;
  // Only the log's own options cross (the caller's object may hold functions and a whole CA's settings).
  const options: LogThreadData['options'] = Object.fromEntries(THREAD_OPTIONS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as LogThreadData['options'];
  const workerData: LogThreadData = {
    options,
    ...(logger.level === undefined ? {} : { logLevel: logger.level }),
    keys: { ...(keys.ctKey ? { ctKey: keys.ctKey } : {}), ...(keys.ctPublicKey ? { ctPublicKey: keys.ctPublicKey } : {}) },
    roots,
  };
  const worker = new Worker(new URL('./log-thread-worker.js', import.meta.url), { workerData });
  const post = perTurn<ToLogThread>((messages) => worker.postMessage(messages));
  const pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let gone: CtError | undefined;
  let closed = false;

  const call = (r: Request): Promise<Answer> =>
    new Promise((resolve, reject) => {
      if (gone) return reject(gone);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ ...r, id } as ToLogThread);
    });

  return new Promise<LogThread>((started, failed) => {
    let ready = false;
    const end = (why: string): void => {
      if (gone) return;
      gone = new CtError(503, `the CT log's thread has stopped (${why})`);
      for (const p of pending.values()) p.reject(gone);
      pending.clear();
      if (!ready) return failed(new Error(`the CT log could not start: ${why}`));
      if (closed) return;
      // A log that fails outside a stop ends the process, as it would running in the CA's own thread (an uncaught
      // error): a supervisor restarts it, where a CA left running could only answer 503 to every request.
      logger.log('error', "the CT log's thread stopped", { reason: why });
      setImmediate(() => {
        throw gone;
      });
    };
    worker.on('error', (e) => end(messageOf(e)));
    worker.on('exit', (code) => end(`exit ${code}`));
    worker.on('message', (messages: FromLogThread[]) => {
      for (const m of messages) {
        if (m.type === 'log') logger.log(m.level, m.msg, m.fields);
        else if (m.type === 'failed') {
          closed = true; // the thread said why; its exit is not news
          failed(m.keyError ? new KeyError(m.message) : new Error(m.message));
        } else if (m.type === 'ready') {
          ready = true;
          started(thread(m.url, asBuffer(m.spki), m.keyDescription));
        }
        else {
          const p = pending.get(m.id);
          pending.delete(m.id);
          p?.resolve(m);
        }
      }
    });
  });

  function thread(url: string, spki: Buffer, keyDescription: string): LogThread {
    const submitPreChain = async (chain: readonly Buffer[]): Promise<LoggedSct> => {
      const a = await call({ type: 'submit', chain });
      if (a.type === 'refused') throw new CtError(a.status, a.message);
      if (a.type !== 'sct') throw new CtError(500, `the CT log's thread answered ${a.type} to a submission`);
      return { index: a.index, sct: fromWireSct(a.sct) };
    };
    return {
      log: { url, spki, keyDescription, roots, submitPreChain },
      async reloadTls() {
        const a = await call({ type: 'reloadTls' });
        return a.type === 'tlsReloaded' && a.reloaded;
      },
      async close(options = {}) {
        if (closed) return;
        const a = await call({ type: 'close', ...(options.drainMs === undefined ? {} : { drainMs: options.drainMs }) }).catch(() => undefined);
        closed = true;
        await worker.terminate();
        if (a?.type === 'closed' && a.error !== undefined) throw new Error(`closing the CT log: ${a.error}`);
      },
    };
  }
}
