// SIGTERM or SIGINT stops a server gracefully: `close` stops accepting, lets in-flight requests finish within the
// drain timeout (--drain-timeout), and closes storage; then the process exits 0. A second signal stops at once.
// Under npm (npm start, npx) the same stop runs when npm goes away (it does not forward SIGHUP and dies of it).
import { DEFAULT_DRAIN_MS } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';
import { secondsFlag, str, type Flags } from './flags.js';
import { watchNpmParent } from './npm-parent.js';

export const DRAIN_FLAGS = {
  'drain-timeout': str('SECONDS', 'on SIGTERM/SIGINT, how long in-flight requests may finish before they are answered 503', String(DEFAULT_DRAIN_MS / 1000)),
};

/** `--drain-timeout SECONDS` in milliseconds (default 30 s). */
export const drainTimeoutFlag = (flags: Flags): number => secondsFlag(flags, 'drain-timeout') ?? DEFAULT_DRAIN_MS;

export function stopOnSignals(close: () => Promise<void>, o: { drainMs: number; logger: Logger; onStop?: () => void }): void {
  let unwatchParent = (): void => undefined;
  const stop = (signal: NodeJS.Signals | 'npm exited'): void => {
    // From now on Node's default applies: a second SIGTERM or SIGINT ends the process at once.
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    unwatchParent();
    o.onStop?.();
    o.logger.log('info', 'stopping: no new connections; in-flight requests may finish', { signal, drainSeconds: o.drainMs / 1000 });
    close().then(
      () => {
        o.logger.log('info', 'stopped');
        process.exit(0);
      },
      (e: unknown) => {
        o.logger.log('error', 'stopping failed', { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Started by npm: a server whose npm is gone (SIGHUP kills npm) stops as on SIGTERM instead of running on, orphaned.
  unwatchParent = watchNpmParent(() => stop('npm exited'));
}
