// `fulgor tsa serve`: the timestamp authority alone (fulgor serve also answers its routes on the CA port). Its key:
// --tsa-key URI, else the keys dir's tsa.key.pem or tsa.key.uri, opened through signer/ (file, encrypted file with
// --key-passphrase-file, PKCS#11) and checked against tsa.pem by server/open-tsa.ts; closed on stop.
// SIGTERM/SIGINT stop gracefully (cli/graceful-stop.ts).
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { loadTsaKeys } from '../config/keys-dir.js';
import { systemClock } from '../lib/clock.js';
import { listenHttp } from '../lib/listen.js';
import { consoleLogger } from '../lib/log.js';
import { closeAll } from '../server/open-keys.js';
import { openTimestampAuthority } from '../server/open-tsa.js';
import { KeyError } from '../signer/index.js';
import { tsaRequestListener, TIMESTAMP_PATH } from '../tsa/index.js';
import { flag, numberFlag, type Flags } from './flags.js';
import { drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';
import { keyOpeningFlags } from './key-flags.js';

export async function tsaServeCommand(flags: Flags): Promise<void> {
  const logger = consoleLogger();
  const drainMs = drainTimeoutFlag(flags);
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  if (flags['dev'] === true) await createMissingDevKeys(keysDir);
  let keys;
  try {
    keys = loadTsaKeys(keysDir, flag(flags, 'tsa-key'));
  } catch (e) {
    throw new KeyError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  const policy = flag(flags, 'tsa-policy');
  const { tsa, signer } = await openTimestampAuthority(keysDir, keys, {
    logger,
    ...keyOpeningFlags(flags),
    clock: systemClock,
    ...(policy ? { policy } : {}),
  });
  let listening;
  try {
    listening = await listenHttp(flag(flags, 'host') ?? '127.0.0.1', numberFlag(flags, 'port') ?? 3000, tsaRequestListener({ tsa, logger }));
  } catch (e) {
    await closeAll([signer]);
    throw e;
  }
  const running = listening;
  logger.log('info', 'timestamp authority ready', { url: running.url + TIMESTAMP_PATH, policy: tsa.policy, key: signer.description });
  process.stderr.write(`Fulgor timestamp authority listening on ${running.url}${TIMESTAMP_PATH}\n`);
  stopOnSignals(
    async () => {
      await running.close({ drainMs });
      await signer.close();
    },
    { drainMs, logger },
  );
}
