// The proof-of-possession thread (ca/pop-thread.ts starts it): each turn's checks come as one message and their
// verdicts go back as one.
import { parentPort } from 'node:worker_threads';
import { perTurn } from '../lib/per-turn.js';
import { checkPoint, type PointAnswer, type PointCheck } from './pop-thread.js';

const port = parentPort!;
const answer = perTurn<PointAnswer>((answers) => port.postMessage(answers));

port.on('message', (checks: PointCheck[]) => {
  for (const c of checks) answer([c.id, checkPoint(c)]);
});
