// The companion log's own thread in one `fulgor serve` process (server/log-thread.ts starts it): the log, its store,
// its HTTP listener, search index and /ui/ run here, so that checking each precertificate chain, signing its SCT,
// hashing the tree and the store's writes do not take turns with the CA's requests on the main thread. The CA hands
// each chain over by message and gets the SCT back once the entry is durable: the same submitPreChain as anywhere.
// Its log lines go to the main thread's logger.
import { parentPort, workerData } from 'node:worker_threads';
import { isCtError } from '../ct/index.js';
import { systemClock } from '../lib/clock.js';
import { logsAt, type Logger } from '../lib/log.js';
import { perTurn } from '../lib/per-turn.js';
import { KeyError } from '../signer/index.js';
import { toWireSct } from './cluster-messages.js';
import { asBuffer } from '../lib/thread-bytes.js';
import { openCompanionLog } from './companion-log.js';
import type { FromLogThread, LogThreadData, ToLogThread } from './log-thread-messages.js';
import { reloadTls } from './tls-reload.js';

const port = parentPort!;
const data = workerData as LogThreadData;
const send = perTurn<FromLogThread>((messages) => port.postMessage(messages));
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// Fields are made plain data here (an Error or a function does not cross threads as it is). A line the CA's logger
// would drop (the debug line of every entry, under the default level) is dropped here, before it costs a copy and
// a place in a message.
const logger: Logger = {
  ...(data.logLevel === undefined ? {} : { level: data.logLevel }),
  log: (level, msg, fields) => {
    if (!logsAt(logger, level)) return;
    send({ type: 'log', level, msg, ...(fields ? { fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown> } : {}) });
  },
};

async function start(): Promise<Awaited<ReturnType<typeof openCompanionLog>> | undefined> {
  try {
    return await openCompanionLog({ ...data.options, logger }, data.keys, data.roots.map(asBuffer), systemClock);
  } catch (e) {
    // The main thread has the reason; with nothing left to do, the thread ends.
    send({ type: 'failed', message: messageOf(e), keyError: e instanceof KeyError });
    return undefined;
  }
}

function serveCa(running: Awaited<ReturnType<typeof openCompanionLog>>): void {
  const { log } = running.companion;
  const submit = (id: number, chain: readonly Uint8Array[]): void =>
    void log.submitPreChain(chain.map(asBuffer)).then(
      ({ sct, index }) => send({ type: 'sct', id, index, sct: toWireSct(sct) }),
      (e: unknown) => send({ type: 'refused', id, status: isCtError(e) ? e.status : 500, message: messageOf(e) }),
    );
  const hear = (m: ToLogThread): void => {
    if (m.type === 'submit') submit(m.id, m.chain);
    else if (m.type === 'reloadTls') send({ type: 'tlsReloaded', id: m.id, reloaded: reloadTls(logger, [['CT log', running.companion]]).length > 0 });
    else if (m.type === 'close')
      running.close(m.drainMs === undefined ? {} : { drainMs: m.drainMs }).then(
        () => send({ type: 'closed', id: m.id }),
        (e: unknown) => send({ type: 'closed', id: m.id, error: messageOf(e) }),
      );
  };
  port.on('message', (messages: ToLogThread[]) => {
    for (const m of messages) hear(m);
  });
  send({ type: 'ready', url: running.companion.url, spki: running.spki, keyDescription: running.keyDescription });
}

const running = await start();
if (running) serveCa(running);
