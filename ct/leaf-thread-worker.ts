// The log's leaf-signature thread (ct/leaf-thread.ts starts it; lib/check-thread.ts carries the checks).
import { answerChecks } from '../lib/check-thread.js';
import { checkLeafSignature } from './leaf-thread.js';

answerChecks(checkLeafSignature);
