// `fulgor monitor`: identity monitoring over a CT log (monitor/). Parses flags, prints findings (one JSON line each on
// stdout; progress and problems as JSON log lines on stderr) and sets the exit code. With --once: 0 nothing found,
// 1 findings, 2 error (including a log that is inconsistent and a webhook that did not accept a finding).
// Without it: follows the log every --interval until SIGTERM/SIGINT, then exits 0.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { consoleLogger } from '../lib/log.js';
import { DEFAULT_BATCH_SIZE, IdentityMonitor, loadWatchRules, type PollResult } from '../monitor/index.js';
import type { Command } from './command.js';
import { bool, durationFlag, flag, str, type Flags } from './flags.js';
import { stopOnSignals } from './graceful-stop.js';

const DEFAULT_INTERVAL_MS = 10_000;

function required(flags: Flags, name: string, why: string): string {
  const v = flag(flags, name);
  if (v === undefined || v === '') throw new Error(`--${name} is required: ${why}`);
  return v;
}

function batchSizeFlag(flags: Flags): number {
  const v = flag(flags, 'batch-size');
  if (v === undefined) return DEFAULT_BATCH_SIZE;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new Error('--batch-size must be a whole number from 1 to 10000');
  return n;
}

function logKey(path: string): Buffer {
  try {
    return createPublicKey(readFileSync(path, 'utf8')).export({ type: 'spki', format: 'der' });
  } catch (e) {
    throw new Error(`--log-public-key ${path}: not a PEM public key: ${(e as Error).message}`, { cause: e });
  }
}

function build(flags: Flags, logger: ReturnType<typeof consoleLogger>): { monitor: IdentityMonitor; intervalMs: number } {
  const logUrl = required(flags, 'log-url', 'the base URL of the RFC 6962 log to follow (before /ct/v1/)');
  const rulesPath = required(flags, 'rules', 'the watch rules file (README "Identity monitoring")');
  const keyPath = required(
    flags,
    'log-public-key',
    "the log's PEM public key: every signed tree head is verified with it (for a Fulgor log, ctlog.pub.pem in its keys directory)",
  );
  const webhook = flag(flags, 'webhook');
  if (webhook !== undefined && !/^https?:\/\//.test(webhook)) throw new Error('--webhook must be an http:// or https:// URL');
  const statePath = flag(flags, 'state');
  const monitor = new IdentityMonitor({
    logUrl,
    logPublicKeySpki: logKey(keyPath),
    rules: loadWatchRules(rulesPath),
    ...(statePath !== undefined ? { statePath } : {}),
    ...(webhook !== undefined ? { webhook: { url: webhook } } : {}),
    batchSize: batchSizeFlag(flags),
    startAtEnd: flags['start-at-end'] === true,
    report: (line) => process.stdout.write(line + '\n'),
    warn: (msg) => logger.log('warn', msg),
  });
  return { monitor, intervalMs: durationFlag(flags, 'interval') ?? DEFAULT_INTERVAL_MS };
}

const summary = (r: PollResult) => ({ treeSize: r.treeSize, entriesRead: r.entriesRead, findings: r.findings, undelivered: r.undelivered });

async function once(monitor: IdentityMonitor, logger: ReturnType<typeof consoleLogger>): Promise<number> {
  const r = await monitor.poll();
  logger.log('info', 'checked', summary(r));
  if (r.inconsistent || r.undelivered > 0) return 2;
  return r.findings > 0 ? 1 : 0;
}

async function follow(monitor: IdentityMonitor, intervalMs: number, logger: ReturnType<typeof consoleLogger>): Promise<void> {
  let stopping = false;
  let wake: () => void = () => {};
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  stopOnSignals(
    async () => {
      stopping = true;
      wake();
      await finished;
    },
    { drainMs: 0, logger },
  );
  while (!stopping) {
    try {
      const r = await monitor.poll(() => stopping);
      if (r.entriesRead > 0 || r.undelivered > 0) logger.log('info', 'checked', summary(r));
    } catch (e) {
      // A log that cannot be reached or answers nonsense this time is retried at the next poll.
      logger.log('error', `poll failed: ${(e as Error).message}`);
    }
    if (stopping) break;
    await new Promise<void>((r) => {
      const t = setTimeout(r, intervalMs);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }
  done();
}

export async function monitorCommand(flags: Flags): Promise<void> {
  const logger = consoleLogger();
  try {
    const { monitor, intervalMs } = build(flags, logger);
    if (flags['once'] === true) process.exitCode = await once(monitor, logger);
    else await follow(monitor, intervalMs, logger);
  } catch (e) {
    process.stderr.write(`fulgor monitor: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}

export const MONITOR_COMMAND: Command = {
  name: 'monitor',
  summary: 'watch a CT log for certificates issued to identities you care about (identity monitoring)',
  flags: {
    'log-url': str('URL', 'the RFC 6962 log to follow, up to before /ct/v1/ (required)'),
    'log-public-key': str('PEM-FILE', "the log's public key: every signed tree head is verified with it (required)"),
    rules: str('FILE', 'the watch rules (README "Identity monitoring"; required)'),
    state: str('FILE', 'where the verified tree head and position are kept between runs'),
    once: bool('check once and exit: 0 nothing found, 1 findings, 2 error or log inconsistent'),
    webhook: str('URL', 'also POST each finding here (http:// or https://)'),
    interval: str('DURATION', 'without --once, how often to poll the log (s, m, h)', `${DEFAULT_INTERVAL_MS / 1000}s`),
    'start-at-end': bool('without a state file, start at the current end of the log instead of its first entry'),
    'batch-size': str('N', 'entries asked for per get-entries call (1 to 10000)', String(DEFAULT_BATCH_SIZE)),
  },
  run: monitorCommand,
};
