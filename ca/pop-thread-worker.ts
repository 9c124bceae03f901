// The proof-of-possession thread (ca/pop-thread.ts starts it; lib/check-thread.ts carries the checks).
import { answerChecks } from '../lib/check-thread.js';
import { checkPoint } from './pop-thread.js';

answerChecks(checkPoint);
