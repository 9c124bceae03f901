// Reads the deployment files (Dockerfile, docker-compose.yml, compose.prod.yml) the way their engines do, for
// test/integration/deployment.spec.ts: Dockerfile instructions by stage, compose services with YAML merge keys and
// `${VAR:-default}` interpolation resolved to the defaults, and the commands they run mapped onto this machine.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parse } from 'yaml';

export interface Instruction {
  /** Upper-case instruction name: FROM, RUN, COPY, ... */
  readonly op: string;
  /** The rest of the line, continuation lines joined. */
  readonly args: string;
  /** 0 for the first FROM's stage, 1 for the next, ...; -1 before the first FROM. */
  readonly stage: number;
}

export interface Dockerfile {
  readonly instructions: Instruction[];
  /** Global ARG defaults (before the first FROM). */
  readonly args: Record<string, string>;
  readonly stages: number;
}

export function readDockerfile(path: string): Dockerfile {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) pending += line.slice(0, -1) + ' ';
    else {
      logical.push(pending + line);
      pending = '';
    }
  }
  const instructions: Instruction[] = [];
  const args: Record<string, string> = {};
  let stage = -1;
  for (const l of logical) {
    if (l === '') continue;
    const m = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
    const op = (m[1] as string).toUpperCase();
    const rest = (m[2] as string).trim();
    if (op === 'FROM') stage++;
    if (op === 'ARG' && stage < 0) {
      const [name, value] = rest.split('=', 2);
      if (name && value !== undefined) args[name] = value;
    }
    instructions.push({ op, args: rest, stage });
  }
  return { instructions, args, stages: stage + 1 };
}

/** An exec-form (JSON array) argument: CMD, ENTRYPOINT, HEALTHCHECK's CMD. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error(`not an exec form: ${args}`);
  return v as string[];
}

/** Compose's interpolation with every variable unset: `${VAR:-default}` is the default, `$$` a literal `$`. */
function interpolateDefaults<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/\$\{\w+:-([^}]*)\}/g, '$1').replace(/\$\$/g, '$') as T;
  if (Array.isArray(v)) return v.map(interpolateDefaults) as T;
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateDefaults(x)])) as T;
  return v;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  volumes?: string[];
  secrets?: string[];
  user?: string;
  restart?: string;
  stop_grace_period?: string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

export function readCompose(path: string): { file: ComposeFile; text: string } {
  const text = readFileSync(path, 'utf8');
  return { file: interpolateDefaults(parse(text, { merge: true }) as ComposeFile), text };
}

export const FULGOR_JS = '/app/dist/bin/fulgor.js';

/** Splits a shell command line into words: double and single quotes, nothing expanded (`$(...)` stays as text). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word = word ?? '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The `fulgor` arguments of a container command: `node /app/dist/bin/fulgor.js ARGS...`, or `sh -c "exec node
 * /app/dist/bin/fulgor.js ARGS..."`. Undefined for any other command.
 */
export function fulgorArgs(command: string[]): string[] | undefined {
  let argv = command;
  if (command[0] === 'sh' && command[1] === '-c' && command.length === 3) {
    const words = shellWords(command[2] as string);
    if (words[0] !== 'exec') return undefined;
    argv = words.slice(1);
  }
  return argv[0] === 'node' && argv[1] === FULGOR_JS ? argv.slice(2) : undefined;
}

/** The host part of a published port: `127.0.0.1:8080:8080` → 127.0.0.1; `8080:8080` → all interfaces (''). */
export function publishedHost(port: ComposeService['ports'] extends (infer P)[] | undefined ? P : never): string {
  if (typeof port === 'object') return port.host_ip ?? '';
  const parts = port.split(':');
  return parts.length >= 3 ? parts.slice(0, parts.length - 2).join(':') : '';
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The image's absolute paths, on this machine: /app, /data, /keys, /config, /run/secrets. */
export interface PathMap {
  readonly [imagePath: string]: string;
}

/**
 * Rewrites a word or a shell line from the image's world to this machine's: image paths to their directories,
 * published ports to free ports, service host names to 127.0.0.1.
 */
export function mapForHost(s: string, paths: PathMap, ports: Record<string, number> = {}, hosts: readonly string[] = []): string {
  let out = s;
  for (const [from, to] of Object.entries(paths).sort((a, b) => b[0].length - a[0].length))
    out = out.replace(new RegExp(`(^|[\\s"'=:])${from.replace(/\//g, '\\/')}(?=$|[\\s"'/])`, 'g'), `$1${to}`);
  for (const [from, to] of Object.entries(ports)) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
  for (const h of hosts) out = out.replace(new RegExp(`([/@])${h}:`, 'g'), '$1127.0.0.1:');
  return out;
}
