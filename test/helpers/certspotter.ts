// Drives SSLMate's certspotter (Debian bookworm: 0.16.0) against a loopback CT log, one monitoring pass at a time.
//
// certspotter is a daemon: it loads the log list, starts one task per log, and each task runs a pass right away and
// then every 5 minutes (monitor/monitor.go). A pass: get-sth (signature checked with the key from the log list), then
// get-entries from the saved position up to the STH's tree size, parsing every leaf (precerts: the pre_certificate in
// extra_data must match the TBS in leaf_input), recomputing the Merkle root and comparing it with the STH. With
// -start_at_end on a fresh state dir it instead rebuilds the tree from the last entry and get-proof-by-hash.
// -verbose makes every pass end with "saving state in defer for <url>" (or, when the STH itself fails, with
// "error fetching latest STH for <url>: ..."), so we wait for that line, then SIGTERM it (it exits 0 on SIGTERM).
// Problems go to stderr through Go's log package (recordError); malformed entries are also written to
// <state>/logs/<log id b64url>/malformed_entries/<index>.txt and, with -stdout, printed to stdout.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `certspotter -version` output, or null when it is not on PATH. */
export function certspotterVersion(): string | null {
  const r = spawnSync('certspotter', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

export const logIdOf = (spki: Buffer): Buffer => createHash('sha256').update(spki).digest();

export interface LogListLog {
  readonly spki: Buffer;
  readonly url: string;
  /** Defaults to SHA-256(spki), which certspotter's loglist.Validate() requires. */
  readonly logId?: Buffer;
  readonly description?: string;
}

/** Writes a log list in the Chrome v3 schema subset certspotter reads (loglist/schema.go). */
export function writeLogList(path: string, logs: readonly LogListLog[]): void {
  const list = {
    version: '1.0',
    log_list_timestamp: new Date().toISOString(),
    operators: [
      {
        name: 'Fulgor tests',
        email: ['ct@fulgor.test'],
        logs: logs.map((l, i) => ({
          description: l.description ?? `Fulgor test log ${i}`,
          log_id: (l.logId ?? logIdOf(l.spki)).toString('base64'),
          key: l.spki.toString('base64'),
          url: l.url.endsWith('/') ? l.url : `${l.url}/`,
          mmd: 86400,
          state: { usable: { timestamp: '2026-01-01T00:00:00Z' } },
        })),
      },
    ],
  };
  writeFileSync(path, JSON.stringify(list, null, 2));
}

export interface CertspotterState {
  download_position: { size: number; nodes: string[] };
  verified_position: { size: number; nodes: string[] };
  verified_sth: null | { tree_size: number; timestamp: number; sha256_root_hash: string; log_id: string };
  last_success: string;
}

export interface CertspotterRun {
  readonly args: string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when no end-of-pass line appeared before the timeout. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Stderr lines (timestamp stripped) that are certspotter's ordinary -verbose progress messages. */
  readonly info: string[];
  /** Every other stderr line: errors (recordError), fatal messages, anything unexpected. */
  readonly problems: string[];
  /** state.json of the log, if certspotter wrote one. */
  readonly state: CertspotterState | null;
  /** malformed_entries/<index>.txt files. */
  readonly malformed: Array<{ index: number; text: string }>;
}

// The -verbose messages of certspotter 0.16.0 (monitor/daemon.go, monitor/monitor.go). Anything else on stderr is a problem.
const INFO = [
  /^fetched \d+ logs from ".*"$/,
  /^starting task for log \S+ \(.*\)$/,
  /^brand new log \S+ \(starting from \d+\)$/,
  /^downloading entries from \S+ in range \[\d+, \d+\)$/,
  /^finished downloading entries from \S+$/,
  /^saving state in defer for \S+$/,
];
// Printed after our SIGTERM; benign.
const STOPPED = /^task for log \S+ stopped with error context canceled$/;
const PASS_END = /saving state in defer for |error fetching latest STH for |error reconstructing tree of size /;

export async function runCertspotterOnce(o: {
  logList: string;
  watchlist: string;
  stateDir: string;
  logId: Buffer;
  startAtEnd?: boolean;
  timeoutMs?: number;
}): Promise<CertspotterRun> {
  const args = ['-logs', o.logList, '-watchlist', o.watchlist, '-state_dir', o.stateDir, '-stdout', '-verbose'];
  if (o.startAtEnd) args.push('-start_at_end');
  // An empty config dir: no ~/.certspotter/hooks.d scripts or email_recipients of this machine take part.
  // It sits beside the state dir, so whoever cleans up the state cleans this up too.
  const configDir = mkdtempSync(join(dirname(o.stateDir), 'certspotter-config-'));
  const child = spawn('certspotter', args, {
    env: { ...process.env, CERTSPOTTER_CONFIG_DIR: configDir, CERTSPOTTER_STATE_DIR: o.stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  const passEnded = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), o.timeoutMs ?? 30_000);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (PASS_END.test(stderr)) done();
    });
    void exited.then(done);
  });
  const ended = await passEnded;
  // A short grace period so that a fatal follow-up (a task returning an error makes the whole daemon exit 1) shows.
  await new Promise((r) => setTimeout(r, 300));
  let killedByUs = false;
  if (!exitedEarly) {
    killedByUs = true;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
  const { code, signal } = await exited;

  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').trimEnd())
    .filter((l) => l !== '');
  const info: string[] = [];
  const problems: string[] = [];
  for (const l of lines) {
    if (INFO.some((re) => re.test(l)) || (killedByUs && STOPPED.test(l))) info.push(l);
    else problems.push(l);
  }

  const logDir = join(o.stateDir, 'logs', o.logId.toString('base64url'));
  const statePath = join(logDir, 'state.json');
  const state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as CertspotterState) : null;
  const malformedDir = join(logDir, 'malformed_entries');
  const malformed = existsSync(malformedDir)
    ? readdirSync(malformedDir)
        .filter((f) => f.endsWith('.txt'))
        .map((f) => ({ index: Number(f.slice(0, -4)), text: readFileSync(join(malformedDir, f), 'utf8') }))
        .sort((a, b) => a.index - b.index)
    : [];

  return { args, exitCode: code, signal, timedOut: !ended, stdout, stderr, info, problems, state, malformed };
}
