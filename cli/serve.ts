// `fulgor serve`: the CA and its companion CT log. SIGHUP re-reads the TLS files (--tls-*, --ct-tls-*), the keys directory's issuing CA (ca rotate) and,
// with --config-path, re-reads and validates the identity config (a bad file is rejected and logged, the current config stays); --watch also reloads when the file changes.
// SIGTERM/SIGINT stop gracefully (cli/graceful-stop.ts). Keys: --ca-key / --ct-log-key / --tsa-key URIs (default: the keys dir's),
// --key-passphrase-file, --strict-key-permissions; development keys need --dev or --allow-dev-keys. --audit-log FILE|-
// writes one JSON line per signing decision; SIGUSR1 reopens the file (log rotation).
import cluster from 'node:cluster';
import { watch, type FSWatcher } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname } from 'node:path';
import { consoleLogger, type Logger } from '../lib/log.js';
import { serveCluster } from '../server/cluster.js';
import { runClusterWorker } from '../server/cluster-worker.js';
import { serve, type ServeOptions } from '../server/serve.js';
import { devIssuerUrl } from '../server/serve.js';
import type { Command } from './command.js';
import { CT_LOG_FLAGS, CT_LOG_URL_FLAGS, ctLogFlags, ctLogPublicKeyFlag } from './ct-flags.js';
import { bool, flag, numberFlag, str, UsageError, type Flags } from './flags.js';
import { DRAIN_FLAGS, drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';
import { KEY_OPENING_FLAGS, keyOpeningFlags } from './key-flags.js';
import { RATE_LIMIT_FLAGS, rateLimitFlags } from './rate-limit-flags.js';
import { serverConfigLayer } from './server-config.js';
import { CT_TLS_FLAGS, TLS_FLAGS, tlsFlags } from './tls-flags.js';

/** `fulgor serve`'s flags. Fulcio's names where Fulcio has the flag (README "Commands" says which are aliases). */
export const SERVE_FLAGS = {
  dev: bool('development mode: trust the built-in OIDC issuer (dev-token) and create missing development keys'),
  'config-path': str('FILE', "the OIDC issuers to trust, in Fulcio's config format (JSON or YAML); required without --dev"),
  'server-config': { ...str('FILE', "Fulcio's server.yaml (serve flags as keys); the command line and the environment win over it", undefined, ['config']), short: 'c' },
  host: str('ADDR', 'address the CA and the companion log listen on', '127.0.0.1', ['http-host']),
  port: str('PORT', "the CA's port", '8080', ['http-port']),
  'ct-port': str('PORT', "the companion CT log's port", '6962'),
  'keys-dir': str('DIR', 'the CA chain, CT log key and TSA keys', 'keys-dev'),
  'ca-cert': str('PEM-FILE', "the issuing CA's chain, issuing CA first and root last, instead of the keys dir's", undefined, ['fileca-cert']),
  'ca-key': str('URI', "the issuing CA's key (path, file:PATH or pkcs11:...) instead of the keys dir's", undefined, ['fileca-key']),
  'ct-log-key': str('URI', "the companion CT log's key instead of the keys dir's"),
  'tsa-key': str('URI', "the timestamp authority's key instead of the keys dir's"),
  'allow-dev-keys': bool('serve development keys (fulgor keys init) without --dev'),
  ...KEY_OPENING_FLAGS,
  ...CT_LOG_URL_FLAGS,
  'ct-log-origin': str('HOST', 'the Host header sent to the external CT log, when it differs from the URL (as Fulcio)'),
  'enable-explain': bool('serve POST /api/v2/explain (reveals how tokens map: operators only)'),
  watch: bool('reload --config-path when the file changes (SIGHUP always reloads)'),
  workers: str('N|auto', 'CA worker processes (node:cluster; auto: one per core; default 1 with --dev, else auto); the CT log stays in the primary'),
  'audit-log': str('FILE|-', 'append one JSON line per signing decision to FILE (fsynced; SIGUSR1 reopens it) or stdout (-)'),
  ...DRAIN_FLAGS,
  ...CT_LOG_FLAGS,
  ...TLS_FLAGS,
  ...CT_TLS_FLAGS,
  ...RATE_LIMIT_FLAGS,
};

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

/** --workers: a positive whole number, or `auto` (one per core the process may use); default 1 in --dev, else auto. */
export function workersFlag(flags: Flags): number {
  const v = flag(flags, 'workers') ?? (flags['dev'] === true ? '1' : 'auto');
  if (v === 'auto') return availableParallelism();
  if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--workers takes a positive whole number or auto, not ${JSON.stringify(v)}`);
  return Number(v);
}

export async function serveCommand(flags: Flags): Promise<void> {
  const dev = flags['dev'] === true;
  const logger = consoleLogger();
  const workers = workersFlag(flags);
  if (dev && !cluster.isWorker) process.stderr.write(DEV_BANNER);
  const ctLogPublicKey = ctLogPublicKeyFlag(flags);
  if (flag(flags, 'ct-log-origin') && !flag(flags, 'ct-log-url'))
    throw new UsageError('--ct-log-origin is the Host header sent to an external log: give its --ct-log-url too (the companion log needs none)');
  const drainTimeoutMs = drainTimeoutFlag(flags);
  const keyOpening = keyOpeningFlags(flags);
  const { rateLimit, trustProxy } = rateLimitFlags(flags);
  const tls = tlsFlags(flags, '');
  const ctTls = tlsFlags(flags, 'ct-');
  const options: ServeOptions = {
    host: flag(flags, 'host') as string,
    port: numberFlag(flags, 'port') as number,
    ctPort: numberFlag(flags, 'ct-port') as number,
    keysDir: flag(flags, 'keys-dir') as string,
    dev,
    ...(flag(flags, 'config-path') ? { configPath: flag(flags, 'config-path') as string } : {}),
    ...(flag(flags, 'ct-log-url') ? { ctLogUrl: flag(flags, 'ct-log-url') as string } : {}),
    ...(ctLogPublicKey ? { ctLogPublicKey } : {}),
    ...(flag(flags, 'ct-log-origin') ? { ctLogOrigin: flag(flags, 'ct-log-origin') as string } : {}),
    ...ctLogFlags(flags),
    ...(flag(flags, 'ca-cert') ? { caCert: flag(flags, 'ca-cert') as string } : {}),
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
    ...(flag(flags, 'audit-log') !== undefined ? { auditLog: flag(flags, 'audit-log') as string } : {}),
    logger,
  };
  // A CA worker of --workers N: it obeys the primary (reload, stop), which handles the signals.
  if (cluster.isWorker) {
    await runClusterWorker(options);
    return;
  }
  const configPath = flag(flags, 'config-path');
  let watcher: FSWatcher | undefined;
  if (workers > 1) {
    const primary = await serveCluster(options, workers);
    // Signals and the watch are in place before the line that says the server is up (a change made on seeing it is seen).
    const reloadAll = () => primary.reload();
    process.on('SIGHUP', reloadAll);
    if (flag(flags, 'audit-log') !== undefined) process.on('SIGUSR1', () => primary.reopenAuditLog());
    if (configPath !== undefined && flags['watch'] === true) watcher = watchConfig(configPath, reloadAll, logger);
    stopOnSignals(() => primary.close(), { drainMs: drainTimeoutMs, logger, onStop: () => watcher?.close() });
    process.stderr.write(
      `Fulgor CA listening on ${primary.caUrl} (CT log ${primary.ctUrl}), ${workers} workers, pid ${process.pid} (kill -HUP ${process.pid} reloads every worker, kill -TERM ${process.pid} stops)\n`,
    );
    if (dev) process.stderr.write(`Development issuers: ${devIssuerUrl(primary.caUrl, 'github')} (also /gitlab, /email)\n`);
    return;
  }
  const running = await serve(options);
  // SIGHUP re-reads the TLS files, the keys directory (a CA made active by `fulgor ca rotate`) and the identity config. Failures are
  // logged by reload() itself, with every problem; the current CA and config stay in force.
  const reload = () => void running.reload().catch(() => undefined);
  process.on('SIGHUP', reload);
  // SIGUSR1 reopens the audit log (logrotate: rename, then signal). Node keeps SIGUSR1 for its inspector otherwise,
  // so it is taken only when there is an audit log to reopen.
  if (flag(flags, 'audit-log') !== undefined) process.on('SIGUSR1', () => running.reopenAuditLog());
  if (configPath !== undefined && flags['watch'] === true) watcher = watchConfig(configPath, reload, logger);
  stopOnSignals(() => running.close(), { drainMs: drainTimeoutMs, logger, onStop: () => watcher?.close() });
  process.stderr.write(`Fulgor CA listening on ${running.caUrl} (CT log ${running.ctUrl}), pid ${process.pid} (kill -HUP ${process.pid} reloads, kill -TERM ${process.pid} stops)\n`);
  if (dev) process.stderr.write(`Development issuers: ${devIssuerUrl(running.caUrl, 'github')} (also /gitlab, /email)\n`);
}

export const SERVE_COMMAND: Command = {
  name: 'serve',
  summary: 'the Fulcio-compatible CA, with its companion CT log (or an external one) and the timestamp authority',
  flags: SERVE_FLAGS,
  layer: serverConfigLayer(SERVE_FLAGS),
  run: serveCommand,
};
