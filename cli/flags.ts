// Command-line flags: `--name value`, `--name=value`, bare `--flag` (true); repeated flags collect into arrays.
export type Flags = Record<string, string | boolean | string[]>;

const BOOLEAN_FLAGS = new Set(['dev', 'json', 'help', 'enable-explain', 'watch', 'strict-key-permissions', 'allow-dev-keys', 'once', 'start-at-end']);

export function parseFlags(argv: readonly string[]): { positional: string[]; flags: Flags } {
  const positional: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    let value: string | boolean;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (BOOLEAN_FLAGS.has(name)) value = true;
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`--${name} needs a value`);
      value = next;
      i++;
    }
    const prev = flags[name];
    if (prev === undefined) flags[name] = value;
    else flags[name] = [...(Array.isArray(prev) ? prev : [String(prev)]), String(value)];
  }
  return { positional, flags };
}

export function flag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  if (v === undefined || typeof v === 'boolean') return undefined;
  if (Array.isArray(v)) throw new Error(`--${name} was given more than once`);
  return v;
}

export function listFlag(flags: Flags, name: string): string[] {
  const v = flags[name];
  return v === undefined || typeof v === 'boolean' ? [] : Array.isArray(v) ? v : [v];
}

export function numberFlag(flags: Flags, name: string): number | undefined {
  const v = flag(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number`);
  return n;
}

/** A duration in seconds (fractions allowed), returned in milliseconds. */
export function secondsFlag(flags: Flags, name: string): number | undefined {
  const v = flag(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number of seconds (0 or more)`);
  return Math.round(n * 1000);
}

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 };

/** A duration such as `365d`, `12h` or `2y` (units s, m, h, d, y; a year is 365 days), returned in milliseconds. */
export function durationFlag(flags: Flags, name: string): number | undefined {
  const v = flag(flags, name);
  if (v === undefined) return undefined;
  const m = /^([1-9]\d{0,5})([smhdy])$/.exec(v.trim());
  if (!m) throw new Error(`--${name} must be a duration such as 365d, 12h or 2y (got ${JSON.stringify(v)})`);
  return Number(m[1]) * (DURATION_UNITS_MS[m[2] as string] as number);
}
