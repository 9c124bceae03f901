// `fulgor serve`: the CA and its companion CT log.
import { consoleLogger } from '../lib/log.js';
import { serve } from '../server/serve.js';
import { devIssuerUrl } from '../server/serve.js';
import { ctLogFlags } from './ct-flags.js';
import { flag, numberFlag, type Flags } from './flags.js';

const DEV_BANNER = `
############################################################################
#  DEVELOPMENT MODE: the built-in OIDC issuer is trusted and anyone on this  #
#  machine can mint tokens with \`npx fulgor dev-token\`. CA and CT keys are #
#  development keys. Never run --dev for real signing.                      #
############################################################################
`;

export async function serveCommand(flags: Flags): Promise<void> {
  const dev = flags['dev'] === true;
  const logger = consoleLogger();
  if (dev) process.stderr.write(DEV_BANNER);
  const running = await serve({
    host: flag(flags, 'host') ?? '127.0.0.1',
    port: numberFlag(flags, 'port') ?? 8080,
    ctPort: numberFlag(flags, 'ct-port') ?? 6962,
    keysDir: flag(flags, 'keys-dir') ?? 'keys-dev',
    dev,
    ...(flag(flags, 'config-path') ? { configPath: flag(flags, 'config-path') as string } : {}),
    ...(flag(flags, 'ct-log-url') ? { ctLogUrl: flag(flags, 'ct-log-url') as string } : {}),
    ...ctLogFlags(flags),
    enableExplain: flags['enable-explain'] === true,
    logger,
  });
  process.stderr.write(`Fulgor CA listening on ${running.caUrl} (CT log ${running.ctUrl})\n`);
  if (dev) process.stderr.write(`Development issuers: ${devIssuerUrl(running.caUrl, 'github')} (also /gitlab, /email)\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
