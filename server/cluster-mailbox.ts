// Fulgor's messages to one peer over the cluster's IPC channel, coalesced: the messages sent during one turn of the
// event loop go out as one `batch` message at its end (setImmediate). Each IPC message is a write on the channel and
// a wake-up of the peer; under load the primary answers a whole group commit's SCTs at once and a worker finishes
// several signings per turn, so one write per turn instead of one per certificate. Order is kept; a message alone in
// its turn goes as itself.
import { perTurn } from '../lib/per-turn.js';
import { isMessage, type BatchMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';

type Message = ToPrimary | ToWorker;

/** `write` sends one IPC message and calls back with its error (null once written or queued). */
export function mailbox<M extends Message>(write: (m: M | BatchMessage, done: (e: Error | null) => void) => void) {
  const add = perTurn<{ m: M; done: ((e: Error | null) => void) | undefined }>((sent) => {
    if (sent.length === 1) write(sent[0]!.m, (e) => sent[0]!.done?.(e));
    else write({ fulgor: 'batch', messages: sent.map((x) => x.m) }, (e) => sent.forEach((x) => x.done?.(e)));
  });
  return (m: M, done?: (e: Error | null) => void): void => add({ m, done });
}

/** The messages an IPC message carries: a batch's, in order, or the message itself. */
export const unpack = (m: unknown): readonly unknown[] => (isMessage(m, 'batch') ? m.messages : [m]);
