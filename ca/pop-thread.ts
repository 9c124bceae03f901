// Proofs of possession by EC keys (nearly every request: cosign and sigstore-js send P-256), checked on a thread of
// the CA process's own (ca/pop-thread-worker.ts): the key's import (OpenSSL's full public-key check, ~55 µs), the
// verify (~65 µs) and the KeyObject's finalizer stay off the event loop, which posts the coordinates and gets a
// verdict back for ~20 µs. One thread per process, started on first use; it does not keep the process alive when
// idle. If it cannot start or stops, the checks it had are made here instead, and the next one starts it again.
import { Worker } from 'node:worker_threads';
import { perTurn } from '../lib/per-turn.js';
import { verifyWithEcPoint, type EcPointCoordinates, type PointVerdict } from './client-key.js';

export interface PointCheck {
  readonly id: number;
  readonly point: EcPointCoordinates;
  /** The signed text (the principal's name), UTF-8. */
  readonly message: string;
  /** The signature, in an ArrayBuffer of its own (a Buffer's pooled slab would be copied whole). */
  readonly signature: Uint8Array;
}

export type PointAnswer = readonly [id: number, verdict: PointVerdict];

interface Waiting {
  readonly check: PointCheck;
  readonly resolve: (v: PointVerdict) => void;
}

/** A thread and the checks it holds (a stopped thread's late exit must not touch its successor's). */
interface Thread {
  readonly worker: Worker;
  readonly post: (c: PointCheck) => void;
  readonly waiting: Map<number, Waiting>;
}

let thread: Thread | undefined;
let nextId = 0;

/** One check, in this thread (the thread's own code runs it too). */
export const checkPoint = (c: PointCheck): PointVerdict =>
  verifyWithEcPoint(c.point, Buffer.from(c.message, 'utf8'), Buffer.from(c.signature.buffer, c.signature.byteOffset, c.signature.byteLength));

function answered(t: Thread, id: number, verdict: PointVerdict): void {
  const w = t.waiting.get(id);
  if (w === undefined) return;
  t.waiting.delete(id);
  if (t.waiting.size === 0) t.worker.unref();
  w.resolve(verdict);
}

/** The thread stopped (or failed to start): what it had is checked here; the next check starts a new one. */
function lost(t: Thread): void {
  if (thread === t) thread = undefined;
  for (const [id, w] of t.waiting) {
    t.waiting.delete(id);
    w.resolve(checkPoint(w.check));
  }
}

function start(): Thread | undefined {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./pop-thread-worker.js', import.meta.url));
  } catch {
    return undefined;
  }
  worker.unref();
  const t: Thread = { worker, post: perTurn<PointCheck>((checks) => worker.postMessage(checks)), waiting: new Map() };
  worker.on('message', (answers: PointAnswer[]) => {
    for (const [id, verdict] of answers) answered(t, id, verdict);
  });
  worker.on('error', () => lost(t));
  worker.on('exit', () => lost(t));
  return t;
}

/** Verifies `signature` over `message` with the point, on the thread; what the point or the signature is worth. */
export function verifyOnPopThread(point: EcPointCoordinates, message: string, signature: Buffer): Promise<PointVerdict> {
  const check: PointCheck = {
    id: nextId++,
    point: { curve: point.curve, x: point.x, y: point.y, hash: point.hash },
    message,
    signature: Uint8Array.prototype.slice.call(signature),
  };
  thread ??= start();
  const t = thread;
  if (t === undefined) return Promise.resolve(checkPoint(check));
  return new Promise((resolve) => {
    if (t.waiting.size === 0) t.worker.ref();
    t.waiting.set(check.id, { check, resolve });
    t.post(check);
  });
}

/** Ends the thread (what it had is checked here); the next check starts a new one. */
export async function stopPopThread(): Promise<void> {
  const t = thread;
  if (t === undefined) return;
  thread = undefined;
  await t.worker.terminate();
  lost(t);
}
