// `fulgor tsa serve`: the timestamp authority alone (fulgor serve also answers its routes on the CA port).
// SIGTERM/SIGINT stop gracefully (cli/graceful-stop.ts).
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { loadTsaKeys } from '../config/keys-dir.js';
import { systemClock } from '../lib/clock.js';
import { listenHttp } from '../lib/listen.js';
import { consoleLogger } from '../lib/log.js';
import { keySigner } from '../lib/signer.js';
import { createTimestampAuthority, tsaRequestListener, TIMESTAMP_PATH } from '../tsa/index.js';
import { flag, numberFlag, type Flags } from './flags.js';
import { drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';

/** `--tsa-key`: a file path, or a file: URI (other signer backends come with the signer/ folder). */
export function tsaKeyPath(uri: string): string {
  if (uri.startsWith('file://')) return decodeURIComponent(new URL(uri).pathname);
  if (uri.startsWith('file:')) return uri.slice('file:'.length);
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri))
    throw new Error(`--tsa-key ${uri}: only file keys are supported for now (a path or file:PATH)`);
  return uri;
}

export async function tsaServeCommand(flags: Flags): Promise<void> {
  const logger = consoleLogger();
  const drainMs = drainTimeoutFlag(flags);
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  if (flags['dev'] === true) await createMissingDevKeys(keysDir);
  const keyFlag = flag(flags, 'tsa-key');
  const keys = loadTsaKeys(keysDir, keyFlag === undefined ? undefined : tsaKeyPath(keyFlag));
  const policy = flag(flags, 'tsa-policy');
  const tsa = createTimestampAuthority({
    signer: keySigner(keys.key),
    chain: keys.chain,
    ...(keys.root ? { root: keys.root } : {}),
    clock: systemClock,
    ...(policy ? { policy } : {}),
  });
  const listening = await listenHttp(flag(flags, 'host') ?? '127.0.0.1', numberFlag(flags, 'port') ?? 3000, tsaRequestListener({ tsa, logger }));
  logger.log('info', 'timestamp authority ready', { url: listening.url + TIMESTAMP_PATH, policy: tsa.policy });
  process.stderr.write(`Fulgor timestamp authority listening on ${listening.url}${TIMESTAMP_PATH}\n`);
  stopOnSignals(() => listening.close({ drainMs }), { drainMs, logger });
}
