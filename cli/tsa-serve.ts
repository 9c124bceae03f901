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
import type { Command } from './command.js';
import { bool, flag, numberFlag, str, type Flags } from './flags.js';
import { DRAIN_FLAGS, drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';
import { KEY_OPENING_FLAGS, keyOpeningFlags } from './key-flags.js';

export const TSA_SERVE_FLAGS = {
  dev: bool('development mode: create missing development keys'),
  host: str('ADDR', 'address the timestamp authority listens on', '127.0.0.1'),
  port: str('PORT', 'its port', '3000'),
  'keys-dir': str('DIR', 'tsa.pem and its key (tsa.key.pem or tsa.key.uri)', 'keys-dev'),
  'tsa-key': str('URI', "the TSA's key (path, file:PATH or pkcs11:...) instead of the keys dir's"),
  'tsa-policy': str('OID', 'the policy OID of every timestamp token (default sigstore/timestamp-authority\'s 1.3.6.1.4.1.57264.2)'),
  ...KEY_OPENING_FLAGS,
  ...DRAIN_FLAGS,
};

export async function tsaServeCommand(flags: Flags): Promise<void> {
  const logger = consoleLogger();
  const drainMs = drainTimeoutFlag(flags);
  const keysDir = flag(flags, 'keys-dir') as string;
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
    listening = await listenHttp(flag(flags, 'host') as string, numberFlag(flags, 'port') as number, tsaRequestListener({ tsa, logger }));
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

export const TSA_SERVE_COMMAND: Command = {
  name: 'tsa serve',
  summary: 'the RFC 3161 timestamp authority alone (fulgor serve also answers it on the CA port)',
  flags: TSA_SERVE_FLAGS,
  run: tsaServeCommand,
};
