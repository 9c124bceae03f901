// Leaf signatures checked on a thread of the log process's own (ct/leaf-thread-worker.ts, through
// lib/check-thread.ts): for a chain whose issuers the log verified before, the leaf's signature by chain[1] is the
// one verify left per submission (~70–95 µs of ECDSA P-256), about half of what the log's event loop spends on an
// append. For a log with a core to spare (`fulgor ct serve`); ct/log.ts's `leafSignaturesOnThread`.
import { checkThread } from '../lib/check-thread.js';
import { asBuffer, ownBytes } from '../lib/thread-bytes.js';
import { isSignedBy } from './certificate.js';
import type { LeafSignature } from './chain.js';

/** What crosses to the thread, each byte field in an ArrayBuffer of its own. */
export interface LeafSignatureCheck {
  readonly signatureAlgorithm: string;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly issuerSpki: Uint8Array;
}

/** One check, in this thread (the thread's own code runs it too). */
export const checkLeafSignature = (c: LeafSignatureCheck): boolean =>
  isSignedBy({ signatureAlgorithm: c.signatureAlgorithm, tbs: asBuffer(c.tbs), signature: asBuffer(c.signature) }, asBuffer(c.issuerSpki));

const thread = checkThread<LeafSignatureCheck, boolean>(new URL('./leaf-thread-worker.js', import.meta.url), checkLeafSignature);

/** Whether the leaf carries a valid signature by the issuer's key, verified on the thread. */
export const verifyLeafOnThread = ({ leaf, issuerSpki }: LeafSignature): Promise<boolean> =>
  thread.check({ signatureAlgorithm: leaf.signatureAlgorithm, tbs: ownBytes(leaf.tbs), signature: ownBytes(leaf.signature), issuerSpki: ownBytes(issuerSpki) });

/** Starts the thread now (a log that checks leaves on it does as it opens), so that the first submission does not wait for its boot. */
export const startLeafThread = (): void => thread.start();

/** Whether the thread is running. */
export const leafThreadRunning = (): boolean => thread.running;

/** Ends the thread (what it had is checked here); the next check starts a new one. */
export const stopLeafThread = (): Promise<void> => thread.stop();
