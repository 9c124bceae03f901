// `fulgor serve`: the CA and its companion CT log. SIGHUP re-reads the TLS files (--tls-*, --ct-tls-*), the keys directory's issuing CA (ca rotate) and,
// with --config-path, re-reads and validates the identity config (a bad file is rejected and logged, the current config stays); --watch also reloads when the file changes.
// SIGTERM/SIGINT stop gracefully (cli/graceful-stop.ts). Keys: --ca-key / --ct-log-key / --tsa-key URIs (default: the keys dir's),
// --key-passphrase-file, --strict-key-permissions; development keys need --dev or --allow-dev-keys.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { consoleLogger, type Logger } from '../lib/log.js';
import { serve } from '../server/serve.js';
import { devIssuerUrl } from '../server/serve.js';
import { ctLogFlags, ctLogPublicKeyFlag } from './ct-flags.js';
import { flag, numberFlag, type Flags } from './flags.js';
import { drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';
import { keyOpeningFlags } from './key-flags.js';
import { rateLimitFlags } from './rate-limit-flags.js';
import { tlsFlags } from './tls-flags.js';

const DEV_BANNER = `
############################################################################
#  DEVELOPMENT MODE: the built-in OIDC issuer is trusted and anyone on this  #
#  machine can mint tokens with \`npx fulgor dev-token\`. CA and CT keys are #
#  development keys. Never run --dev for real signing.                      #
############################################################################
`;

/**
 * Calls `reload` when `path` changes. The directory is watched, not the file, so that editors and config-map
 * updates that replace the file (rename over it) keep being seen; bursts of events are coalesced.
 */
function watchConfig(path: string, reload: () => void, logger: Logger): FSWatcher {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(path), (_event, file) => {
    // Kubernetes config maps swap a `..data` symlink rather than the file itself.
    if (file !== null && file !== name && !file.startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 250);
  });
  watcher.on('error', (e) => logger.log('error', 'watching the identity config failed; SIGHUP still reloads', { path, error: e.message }));
  return watcher;
}

export async function serveCommand(flags: Flags): Promise<void> {
  const dev = flags['dev'] === true;
  const logger = consoleLogger();
  if (dev) process.stderr.write(DEV_BANNER);
  const ctLogPublicKey = ctLogPublicKeyFlag(flags);
  const drainTimeoutMs = drainTimeoutFlag(flags);
  const keyOpening = keyOpeningFlags(flags);
  const { rateLimit, trustProxy } = rateLimitFlags(flags);
  const tls = tlsFlags(flags, '');
  const ctTls = tlsFlags(flags, 'ct-');
  const running = await serve({
    host: flag(flags, 'host') ?? '127.0.0.1',
    port: numberFlag(flags, 'port') ?? 8080,
    ctPort: numberFlag(flags, 'ct-port') ?? 6962,
    keysDir: flag(flags, 'keys-dir') ?? 'keys-dev',
    dev,
    ...(flag(flags, 'config-path') ? { configPath: flag(flags, 'config-path') as string } : {}),
    ...(flag(flags, 'ct-log-url') ? { ctLogUrl: flag(flags, 'ct-log-url') as string } : {}),
    ...(ctLogPublicKey ? { ctLogPublicKey } : {}),
    ...ctLogFlags(flags),
    ...(flag(flags, 'ca-key') ? { caKey: flag(flags, 'ca-key') as string } : {}),
    ...(flag(flags, 'ct-log-key') ? { ctLogKey: flag(flags, 'ct-log-key') as string } : {}),
    ...(flag(flags, 'tsa-key') ? { tsaKey: flag(flags, 'tsa-key') as string } : {}),
    ...(keyOpening.passphraseFile ? { keyPassphraseFile: keyOpening.passphraseFile } : {}),
    ...(keyOpening.strictPermissions ? { strictKeyPermissions: true } : {}),
    allowDevKeys: flags['allow-dev-keys'] === true,
    enableExplain: flags['enable-explain'] === true,
    drainTimeoutMs,
    rateLimit,
    trustProxy,
    ...(tls ? { tls } : {}),
    ...(ctTls ? { ctTls } : {}),
    logger,
  });
  process.stderr.write(`Fulgor CA listening on ${running.caUrl} (CT log ${running.ctUrl})\n`);
  if (dev) process.stderr.write(`Development issuers: ${devIssuerUrl(running.caUrl, 'github')} (also /gitlab, /email)\n`);
  const configPath = flag(flags, 'config-path');
  let watcher: FSWatcher | undefined;
  // SIGHUP re-reads the TLS files, the keys directory (a CA made active by `fulgor ca rotate`) and the identity config. Failures are
  // logged by reload() itself, with every problem; the current CA and config stay in force.
  const reload = () => void running.reload().catch(() => undefined);
  process.on('SIGHUP', reload);
  if (configPath !== undefined && flags['watch'] === true) watcher = watchConfig(configPath, reload, logger);
  stopOnSignals(() => running.close(), { drainMs: drainTimeoutMs, logger, onStop: () => watcher?.close() });
}
