// The proof-of-possession thread (ca/pop-thread.ts starts it): each turn's checks come as one message; each verdict
// goes back as soon as it is known, so that the event loop can go on with the first requests of a group while
// this thread checks the rest.
import { parentPort } from 'node:worker_threads';
import { checkPoint, type PointAnswer, type PointCheck } from './pop-thread.js';

const port = parentPort!;

port.on('message', (checks: PointCheck[]) => {
  for (const c of checks) port.postMessage([[c.id, checkPoint(c)]] satisfies PointAnswer[]);
});
