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
