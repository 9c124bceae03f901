// Items handed over during one turn of the event loop, delivered together at its end (setImmediate), in order: one
// write and one wake-up of the peer per turn instead of one per item. Under load a log answers a whole group
// commit's SCTs at once and a CA finishes several signings per turn (server/cluster-mailbox.ts, server/log-thread*.ts).

/** Returns `add(item)`; `deliver` gets each turn's items, at least one. */
export function perTurn<T>(deliver: (items: T[]) => void): (item: T) => void {
  let queue: T[] = [];
  const flush = (): void => {
    const items = queue;
    queue = [];
    deliver(items);
  };
  return (item: T): void => {
    if (queue.push(item) === 1) setImmediate(flush);
  };
}

/** A port or worker's postMessage, as perTurnPost calls it. */
interface PostTarget {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
}

/**
 * perTurn for a port: each turn's messages go as one array in one postMessage, with every ArrayBuffer they move
 * (lib/thread-bytes.ts) in its transfer list. Returns `post(message, transfer?)`.
 */
export function perTurnPost<T>(target: PostTarget): (message: T, transfer?: ArrayBuffer) => void {
  const add = perTurn<{ readonly message: T; readonly transfer?: ArrayBuffer }>((items) =>
    target.postMessage(
      items.map((i) => i.message),
      items.flatMap((i) => (i.transfer ? [i.transfer] : [])),
    ),
  );
  return (message, transfer) => add(transfer ? { message, transfer } : { message });
}
