// Proofs of possession by EC keys (nearly every request: cosign and sigstore-js send P-256), checked on a thread of
// the CA process's own (ca/pop-thread-worker.ts, through lib/check-thread.ts): the key's import (OpenSSL decoding the
// point, which checks that it is on its curve), the verify and the KeyObject's finalizer stay off the event loop,
// which posts the coordinates and gets a verdict back for ~20 µs. One thread per process, started as the CA starts
// (or on first use); it does not keep the process alive when idle. If it cannot start or stops, the checks it had are
// made here instead, and the next one starts it again.
import { checkThread } from '../lib/check-thread.js';
import { asBuffer, ownBytes } from '../lib/thread-bytes.js';
import { verifyWithEcPoint, type EcPointCoordinates, type PointVerdict } from './ec-point.js';

export interface PointCheck {
  readonly point: EcPointCoordinates;
  /** The signed text (the principal's name), UTF-8. */
  readonly message: string;
  /** The signature, in an ArrayBuffer of its own (a Buffer's pooled slab would be copied whole). */
  readonly signature: Uint8Array;
}

/** One check, in this thread (the thread's own code runs it too). */
export const checkPoint = (c: PointCheck): Promise<PointVerdict> =>
  verifyWithEcPoint(c.point, Buffer.from(c.message, 'utf8'), asBuffer(c.signature));

const thread = checkThread<PointCheck, PointVerdict>(new URL('./pop-thread-worker.js', import.meta.url), checkPoint);

/** Verifies `signature` over `message` with the point, on the thread; what the point or the signature is worth. */
export const verifyOnPopThread = (point: EcPointCoordinates, message: string, signature: Buffer): Promise<PointVerdict> =>
  thread.check({
    point: { curve: point.curve, x: point.x, y: point.y, hash: point.hash },
    message,
    signature: ownBytes(signature),
  });

/** Starts the thread now (the CA does as it starts), so that the first request does not wait for its boot. */
export const startPopThread = (): void => thread.start();

/** Whether the thread is running. */
export const popThreadRunning = (): boolean => thread.running;

/** Ends the thread (what it had is checked here); the next check starts a new one. */
export const stopPopThread = (): Promise<void> => thread.stop();
