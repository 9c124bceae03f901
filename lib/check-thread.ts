// A thread of the process's own for one kind of CPU-bound check (a signature verify): the event loop posts each
// turn's checks as one message (lib/per-turn.ts) and gets each answer back as soon as the thread knows it. The thread
// starts when `start` is called or on first use, and does not keep the process alive when idle. If it cannot start or
// stops, the checks it had are made here, by the same function the thread runs, and the next check starts a new
// thread. Used by ca/pop-thread.ts (proofs of possession) and ct/leaf-thread.ts (the log's leaf signatures).
import { parentPort, Worker } from 'node:worker_threads';
import { perTurn } from './per-turn.js';

/** What crosses to the thread: a check and its number. */
export type Numbered<T> = readonly [id: number, value: T];

export interface CheckThread<Q, A> {
  /** The answer to `q`, from the thread (or from this thread when the other cannot run). */
  check(q: Q): Promise<A>;
  /**
   * Starts the thread now if it is not running, so that the first check does not wait for its boot (a new isolate
   * loading its modules: 40–100 ms). Without it the first check starts the thread.
   */
  start(): void;
  /** Whether a thread is running (started and not lost or stopped). */
  readonly running: boolean;
  /** Ends the thread (what it had is checked here); the next check starts a new one. */
  stop(): Promise<void>;
}

interface Waiting<Q, A> {
  readonly q: Q;
  readonly resolve: (a: A | Promise<A>) => void;
}

/** A started thread and the checks it holds (a stopped thread's late exit must not touch its successor's). */
interface Running<Q, A> {
  readonly worker: Worker;
  readonly post: (c: Numbered<Q>) => void;
  readonly waiting: Map<number, Waiting<Q, A>>;
}

/**
 * Checks made by `here` (which answers at once or by a promise) on the thread whose module is `workerUrl` (it calls
 * answerChecks(here)). A check must be structured-clonable: a Buffer crosses with its whole ArrayBuffer, so give byte
 * fields an ArrayBuffer of their own.
 */
export function checkThread<Q, A>(workerUrl: URL, here: (q: Q) => A | Promise<A>): CheckThread<Q, A> {
  let running: Running<Q, A> | undefined;
  let nextId = 0;

  function answered(t: Running<Q, A>, id: number, a: A): void {
    const w = t.waiting.get(id);
    if (w === undefined) return;
    t.waiting.delete(id);
    if (t.waiting.size === 0) t.worker.unref();
    w.resolve(a);
  }

  function lost(t: Running<Q, A>): void {
    if (running === t) running = undefined;
    for (const [id, w] of t.waiting) {
      t.waiting.delete(id);
      w.resolve(here(w.q));
    }
  }

  function launch(): Running<Q, A> | undefined {
    let worker: Worker;
    try {
      worker = new Worker(workerUrl);
    } catch {
      return undefined;
    }
    worker.unref();
    const t: Running<Q, A> = { worker, post: perTurn<Numbered<Q>>((checks) => worker.postMessage(checks)), waiting: new Map() };
    worker.on('message', (answers: Numbered<A>[]) => {
      for (const [id, a] of answers) answered(t, id, a);
    });
    worker.on('error', () => lost(t));
    worker.on('exit', () => lost(t));
    return t;
  }

  return {
    start() {
      running ??= launch();
    },
    get running() {
      return running !== undefined;
    },
    check(q) {
      running ??= launch();
      const t = running;
      if (t === undefined) return Promise.resolve(here(q));
      const id = nextId++;
      return new Promise((resolve) => {
        if (t.waiting.size === 0) t.worker.ref();
        t.waiting.set(id, { q, resolve });
        t.post([id, q]);
      });
    },
    async stop() {
      const t = running;
      if (t === undefined) return;
      running = undefined;
      await t.worker.terminate();
      lost(t);
    },
  };
}

/**
 * The thread's side: each message holds a turn's checks; each answer goes back as soon as it is known, so that the
 * event loop can go on with the first of a group while this thread checks the rest.
 */
export function answerChecks<Q, A>(here: (q: Q) => A | Promise<A>): void {
  const port = parentPort;
  if (port === null) throw new Error('answerChecks runs in a worker thread');
  port.on('message', (checks: Numbered<Q>[]) => {
    void (async () => {
      // One check at a time, each answer posted before the next check starts.
      for (const [id, q] of checks) port.postMessage([[id, await here(q)]] satisfies Numbered<A>[]);
    })();
  });
}
