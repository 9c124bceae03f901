// Command-line flags. Every command declares its flags (a FlagSpecs record next to its code: name, type, value
// placeholder, one-line description, default); parseCommandLine reads argv strictly with node:util parseArgs
// (strict: true) and the environment (FULGOR_ + the flag's name in upper snake case), and withDefaults fills in the
// declared defaults. Commands read the result through the accessors below (`flag`, `listFlag`, `numberFlag`, ...).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest, distance } from 'fastest-levenshtein';

/** Flag values by canonical name: a string, true/false for booleans, an array for repeatable flags. */
export type Flags = Record<string, string | boolean | string[]>;

export interface FlagSpec {
  /** string: one value; boolean: no value; list: one value each time, the flag may be repeated. */
  readonly type: 'string' | 'boolean' | 'list';
  /** The value's placeholder in the usage, e.g. FILE or PORT. */
  readonly value?: string;
  /** One line. */
  readonly description: string;
  /** Used when the flag is given neither on the command line nor in the environment (nor in serve's --server-config). */
  readonly default?: string;
  /** Other names accepted on the command line (Fulcio's spelling of the same flag). */
  readonly aliases?: readonly string[];
  /** A one-letter form (Fulcio's `-c` for the server config). */
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** A flag taking one value: `str('PORT', 'the CA port', '8080')`. */
export const str = (value: string, description: string, defaultValue?: string, aliases?: readonly string[]): FlagSpec => ({
  type: 'string',
  value,
  description,
  ...(defaultValue !== undefined ? { default: defaultValue } : {}),
  ...(aliases ? { aliases } : {}),
});
/** A flag without a value (true when given). */
export const bool = (description: string): FlagSpec => ({ type: 'boolean', description });
/** A flag that may be repeated, each time with one value. */
export const list = (value: string, description: string): FlagSpec => ({ type: 'list', value, description });

/** Every command's --help / -h (never read from the environment). */
export const HELP_FLAG = 'help';

/** A mistake in how the command was called: the command line says why and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The environment variable that sets `--name`: FULGOR_ + upper snake case (`--ct-log-url` is FULGOR_CT_LOG_URL). */
export const envName = (flagName: string): string => `FULGOR_${flagName.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;

/** The closest of `known` to `name` when it is close enough to be a likely typo (or `name` is a prefix of it). */
export function suggest(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(name, known);
  if (distance(name, best) <= Math.max(2, Math.floor(name.length / 3))) return best;
  return known.find((k) => name.length >= 3 && (k.startsWith(name) || name.startsWith(k)));
}

/** `name` → its canonical flag, for every canonical name and alias. */
function namesOf(specs: FlagSpecs): Map<string, string> {
  const names = new Map<string, string>([[HELP_FLAG, HELP_FLAG]]);
  for (const [name, spec] of Object.entries(specs)) {
    names.set(name, name);
    for (const a of spec.aliases ?? []) names.set(a, name);
  }
  return names;
}

/** True when argv (before any `--`) asks for help: `--help` or `-h` wins over every other flag and error. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

const flagOf = (message: string): string | undefined => /'(-[^' <]+)/.exec(message)?.[1];

/**
 * Reads one command's flags from argv (the arguments after the command's name) strictly, then the environment for
 * flags not on the command line. Throws UsageError for an unknown flag (naming the closest known one), a missing
 * value, a value given to a boolean, an argument that is not a flag, or a flag repeated that cannot be. Booleans
 * from the environment are true/false/1/0; an empty variable counts as unset. Defaults are not applied here.
 */
export function parseCommandLine(specs: FlagSpecs, argv: readonly string[], env: NodeJS.ProcessEnv = {}): Flags {
  const names = namesOf(specs);
  const options: NonNullable<ParseArgsConfig['options']> = { [HELP_FLAG]: { type: 'boolean', short: 'h' } };
  for (const [name, canonical] of names) {
    if (name === HELP_FLAG) continue;
    const spec = specs[canonical] as FlagSpec;
    options[name] = {
      ...(spec.type === 'boolean' ? { type: 'boolean' } : { type: 'string', ...(spec.type === 'list' ? { multiple: true } : {}) }),
      ...(spec.short && name === canonical ? { short: spec.short } : {}),
    };
  }
  // A lenient pass first, to name an unknown flag with a suggestion (parseArgs only says it is unknown).
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option' || names.has(t.name)) continue;
    const near = t.rawName.startsWith('--') ? suggest(t.name, [...names.keys()]) : undefined;
    throw new UsageError(`unknown flag ${t.rawName}${near ? ` (did you mean --${near}?)` : ''}`);
  }
  let values: ReturnType<typeof parseArgs>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = (e as Error).message;
    const f = flagOf(message);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && f && /does not take an argument/.test(message)) throw new UsageError(`${f} takes no value`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && f && /ambiguous/.test(message))
      throw new UsageError(`${f} needs a value (the next argument is a flag; write ${f}=VALUE for a value that starts with "-")`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && f) throw new UsageError(`${f} needs a value`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${JSON.stringify(/'([^']*)'/.exec(message)?.[1] ?? '')} (every value belongs to a flag: --name VALUE)`);
    throw new UsageError(message);
  }
  const out: Flags = {};
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === HELP_FLAG) continue;
    const canonical = names.get(t.name) as string;
    const first = seen.get(canonical);
    if (first !== undefined && specs[canonical]?.type !== 'list')
      throw new UsageError(first === t.rawName ? `${t.rawName} was given more than once` : `${first} and ${t.rawName} are the same flag: give it once`);
    seen.set(canonical, t.rawName);
  }
  for (const [name, v] of Object.entries(values)) {
    if (name === HELP_FLAG || v === undefined) continue;
    const canonical = names.get(name) as string;
    out[canonical] = Array.isArray(v) ? [...((out[canonical] as string[] | undefined) ?? []), ...v.map(String)] : (v as string | boolean);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (out[name] !== undefined) continue;
    const variable = envName(name);
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    out[name] = fromEnv(spec, variable, raw);
  }
  return out;
}

function fromEnv(spec: FlagSpec, variable: string, raw: string): string | boolean | string[] {
  if (spec.type === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new UsageError(`${variable} must be true, false, 1 or 0 (got ${JSON.stringify(raw)})`);
  }
  // A repeatable flag takes one value per line from the environment.
  if (spec.type === 'list') return raw.split(/\r?\n/).filter((l) => l !== '');
  return raw;
}

/** `given` (command line over environment, over any layer the command merged in), then each flag's default. */
export function withDefaults(specs: FlagSpecs, given: Flags): Flags {
  const out: Flags = { ...given };
  for (const [name, spec] of Object.entries(specs)) if (out[name] === undefined && spec.default !== undefined) out[name] = spec.default;
  return out;
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
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number`);
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
