// `fulgor ct serve`: the CT log alone (for CA replicas pointed at it with --ct-log-url, or several log frontends
// sharing one Redis). SIGTERM/SIGINT stop gracefully (cli/graceful-stop.ts).
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { loadLogKeys } from '../config/keys-dir.js';
import { systemClock } from '../lib/clock.js';
import { consoleLogger } from '../lib/log.js';
import { startCompanionLog } from '../server/serve.js';
import { ctLogFlags } from './ct-flags.js';
import { flag, numberFlag, type Flags } from './flags.js';
import { drainTimeoutFlag, stopOnSignals } from './graceful-stop.js';

export async function ctServeCommand(flags: Flags): Promise<void> {
  const logger = consoleLogger();
  const drainMs = drainTimeoutFlag(flags);
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  if (flags['dev'] === true) await createMissingDevKeys(keysDir);
  const keys = loadLogKeys(keysDir);
  const ct = ctLogFlags(flags);
  const roots = ct.ctRoots ?? (keys.root ? [keys.root] : undefined);
  if (!roots) throw new Error(`give --ct-roots FILE (no ${keysDir}/root-ca.pem to default to)`);
  const running = await startCompanionLog(
    { host: flag(flags, 'host') ?? '127.0.0.1', ctPort: numberFlag(flags, 'ct-port') ?? 6962, logger, ...ct },
    keys.ctKey,
    roots,
    systemClock,
  );
  process.stderr.write(`Fulgor CT log listening on ${running.url}\n`);
  stopOnSignals(() => running.close({ drainMs }), { drainMs, logger });
}
