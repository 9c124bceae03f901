// `fulgor ct serve`: the CT log alone (for CA replicas pointed at it with --ct-log-url, or several log frontends
// sharing one Redis). Its key: --ct-log-key URI, else the keys dir's ctlog.key.pem or ctlog.key.uri (opened and
// checked by server/open-keys.ts); development keys need --dev or --allow-dev-keys. SIGTERM/SIGINT stop gracefully (cli/graceful-stop.ts).
// HTTPS with --ct-tls-cert-file / --ct-tls-key-file (the names `fulgor serve` gives its log port), re-read on SIGHUP.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { KEY_FILES, loadLogKeys } from '../config/keys-dir.js';
import { systemClock } from '../lib/clock.js';
import { consoleLogger } from '../lib/log.js';
import { checkPublicKeyMatches, closeAll, developmentKeysRefusal, openKey } from '../server/open-keys.js';
import { startCompanionLog } from '../server/companion-log.js';
import { reloadTls } from '../server/tls-reload.js';
import { KeyError } from '../signer/index.js';
import type { Command } from './command.js';
import { CT_LOG_FLAGS, ctLogFlags } from './ct-flags.js';
import { bool, flag, numberFlag, str, type Flags } from './flags.js';
import { DRAIN_FLAGS, drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';
import { KEY_OPENING_FLAGS, keyOpeningFlags } from './key-flags.js';
import { CT_TLS_FLAGS, tlsFlags } from './tls-flags.js';

export const CT_SERVE_FLAGS = {
  dev: bool('development mode: create missing development keys'),
  host: str('ADDR', 'address the log listens on', '127.0.0.1'),
  'ct-port': str('PORT', "the log's port", '6962'),
  'keys-dir': str('DIR', "the log's key (ctlog.key.pem or .uri) and the root it accepts", 'keys-dev'),
  'ct-log-key': str('URI', "the log's key (path, file:PATH or pkcs11:...) instead of the keys dir's"),
  'allow-dev-keys': bool('serve development keys (fulgor keys init) without --dev'),
  ...KEY_OPENING_FLAGS,
  ...DRAIN_FLAGS,
  ...CT_LOG_FLAGS,
  ...CT_TLS_FLAGS,
};

export async function ctServeCommand(flags: Flags): Promise<void> {
  const logger = consoleLogger();
  const drainMs = drainTimeoutFlag(flags);
  const keysDir = flag(flags, 'keys-dir') as string;
  if (flags['dev'] === true) await createMissingDevKeys(keysDir);
  const ctKeyUri = flag(flags, 'ct-log-key');
  let keys;
  try {
    keys = loadLogKeys(keysDir, ctKeyUri ? { ctKey: ctKeyUri } : {});
  } catch (e) {
    throw new KeyError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  // Development keys (`fulgor keys init`) outside --dev: refused as `fulgor serve` refuses them, unless --allow-dev-keys.
  if (keys.development && flags['dev'] !== true) {
    if (flags['allow-dev-keys'] !== true) throw developmentKeysRefusal(keysDir, keys.development);
    logger.log('warn', 'serving development keys without --dev (--allow-dev-keys): never use them for real signing', { dir: keysDir });
  }
  const ct = ctLogFlags(flags);
  const ctTls = tlsFlags(flags, 'ct-');
  const roots = ct.ctRoots ?? (keys.root ? [keys.root] : undefined);
  if (!roots) throw new Error(`give --ct-roots FILE (no ${keysDir}/root-ca.pem to default to)`);
  const signer = await openKey(keys.ctKey, 'CT log', { logger, ...keyOpeningFlags(flags) });
  let running;
  try {
    checkPublicKeyMatches(signer, keys.ctPublicKey, join(keysDir, KEY_FILES.ctPub), 'CT log');
    running = await startCompanionLog(
      {
        host: flag(flags, 'host') as string,
        ctPort: numberFlag(flags, 'ct-port') as number,
        logger,
        ...ct,
        ...(ctTls ? { ctTls } : {}),
        // A core to spare: each leaf's signature is verified beside the event loop (ct/leaf-thread.ts).
        leafSignaturesOnThread: availableParallelism() > 1,
      },
      signer,
      roots,
      systemClock,
    );
  } catch (e) {
    await closeAll([signer]);
    throw e;
  }
  const log = running;
  process.stderr.write(`Fulgor CT log listening on ${log.url}\n`);
  // SIGHUP swaps in the TLS files' current pair (without TLS it does nothing); a bad one is logged and the current one stays.
  process.on('SIGHUP', () => void reloadTls(logger, [['CT log', log]]));
  stopOnSignals(
    async () => {
      await log.close({ drainMs });
      await signer.close();
    },
    { drainMs, logger },
  );
}

export const CT_SERVE_COMMAND: Command = {
  name: 'ct serve',
  summary: 'the RFC 6962 CT log alone (for CA replicas given --ct-log-url, or several log frontends on one Redis)',
  flags: CT_SERVE_FLAGS,
  run: ctServeCommand,
};
