// `fulgor serve --server-config FILE`: Fulcio's server.yaml (the fulcio-config ConfigMap's second key: `fulcio serve
// -c` reads it through viper), so that an existing deployment's values carry over. Its values sit below the command
// line and the environment and above the defaults. Every key is one of:
//   - carried over to the flag of the same meaning (Fulcio's keys, and serve's own flag names);
//   - ignored with a warning: it changes nothing about what is issued or trusted (gRPC listeners, timeouts, log
//     format, settings of Fulcio CA backends not selected);
//   - refused (exit 2): Fulgor cannot keep its meaning, and going on would change what is issued or trusted
//     (another CA backend, a narrower client key algorithm list, the CT log's TLS trust), and unknown keys, which
//     may be a misspelling of one that matters.
// fileca-key-passwd becomes FULGOR_KEY_PASSPHRASE for this process unless that or --key-passphrase-file is set: the
// passphrase never enters the flags. Without config-path anywhere, the identity config is the ConfigMap's other key
// beside the server config (config.yaml, else config.json), as Fulcio's default /etc/fulcio-config/config.yaml is.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { PASSPHRASE_ENV } from '../signer/index.js';
import { flag, suggest, UsageError, type Flags, type FlagSpec, type FlagSpecs } from './flags.js';

/** Fulcio's keys with a Fulgor flag of the same meaning. */
const CARRIED: Readonly<Record<string, string>> = {
  host: 'host',
  'http-host': 'host',
  port: 'port',
  'http-port': 'port',
  'config-path': 'config-path',
  'ct-log-url': 'ct-log-url',
  'ct-log-public-key-path': 'ct-log-public-key',
  'ct-log-origin': 'ct-log-origin',
  'fileca-cert': 'ca-cert',
  'fileca-key': 'ca-key',
};

const GRPC = 'Fulgor serves no gRPC (no Sigstore client uses it): the REST API is on --port';
const BACKEND = "configures one of Fulcio's CA backends other than fileca, which Fulgor does not have";

/** Fulcio's keys that change nothing about what is issued or trusted: ignored, with a warning. */
const IGNORED: Readonly<Record<string, string>> = {
  'grpc-host': GRPC,
  'grpc-port': GRPC,
  'legacy-unix-domain-socket': GRPC,
  'grpc-tls-certificate': GRPC,
  'grpc-tls-key': GRPC,
  'metrics-port': 'Fulgor serves /metrics on the CA port',
  'read-header-timeout': "Fulgor keeps Node's HTTP timeouts",
  'idle-connection-timeout': "Fulgor keeps Node's HTTP timeouts",
  log_type: 'Fulgor always logs one JSON object per line',
  'fileca-watch': 'Fulgor re-reads its CA on SIGHUP (kill -HUP <pid>), not by watching the files',
  config: 'the server config does not name another one',
  'aws-hsm-root-ca-path': BACKEND,
  'hsm-caroot-id': BACKEND,
  'pkcs11-config-path': `${BACKEND} (give a PKCS#11 key as --ca-key pkcs11:...)`,
  'hsm-key-label': BACKEND,
  gcp_private_ca_parent: BACKEND,
  gcp_private_ca_version: BACKEND,
  'kms-resource': BACKEND,
  'kms-cert-chain-path': BACKEND,
  'gcp-kms-retries': BACKEND,
  'gcp-kms-timeout': BACKEND,
  'tink-kms-resource': BACKEND,
  'tink-cert-chain-path': BACKEND,
  'tink-keyset-path': BACKEND,
};

/** Fulcio's default --client-signing-algorithms: the only list Fulgor can honour (ca/client-key.ts accepts these). */
const FULCIO_CLIENT_ALGORITHMS = [
  'ecdsa-sha2-256-nistp256',
  'ecdsa-sha2-384-nistp384',
  'ecdsa-sha2-512-nistp521',
  'rsa-sign-pkcs1-2048-sha256',
  'rsa-sign-pkcs1-3072-sha256',
  'rsa-sign-pkcs1-4096-sha256',
  'ed25519',
];

/** Keys handled one by one below. */
const SPECIAL = ['ca', 'fileca-key-passwd', 'client-signing-algorithms', 'ct-log.tls-ca-cert'];

export interface ServerConfig {
  /** Flag values (canonical names). */
  readonly flags: Flags;
  /** fileca-key-passwd, when given. */
  readonly keyPassphrase?: string;
  /** One line per ignored key. */
  readonly warnings: string[];
}

/** viper reads nested maps as dotted keys (`ct-log: {tls-ca-cert: X}` is `ct-log.tls-ca-cert`). */
function flatten(doc: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(doc).flatMap(([k, v]): [string, unknown][] =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

function flagValue(key: string, spec: FlagSpec, v: unknown): string | boolean | string[] {
  if (spec.type === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new Error(`${key} must be true or false`);
  }
  if (spec.type === 'list' && Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return spec.type === 'list' ? [String(v)] : String(v);
  throw new Error(`${key} must be ${spec.type === 'list' ? 'a string or a list of strings' : 'a string or a number'}`);
}

const algorithms = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? v.split(',').map((s) => s.trim()) : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** Reads and checks FILE against serve's flag specs; throws UsageError listing every refused key. */
export function readServerConfig(path: string, specs: FlagSpecs): ServerConfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--server-config ${path}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`--server-config ${path}: must be a mapping of serve settings (Fulcio's server.yaml)`);
  const own = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    if (name === 'server-config') continue;
    own.set(name, name);
    for (const a of spec.aliases ?? []) own.set(a, name);
  }
  const known = [...new Set([...Object.keys(CARRIED), ...Object.keys(IGNORED), ...SPECIAL, ...own.keys()])];
  const flags: Flags = {};
  const from = new Map<string, string>();
  const problems: string[] = [];
  const warnings: string[] = [];
  let keyPassphrase: string | undefined;
  for (const [key, value] of flatten(doc as Record<string, unknown>)) {
    if (key === 'ca') {
      if (value !== 'fileca')
        problems.push(
          `ca: ${JSON.stringify(value)}: Fulgor signs with keys in files or PKCS#11 tokens (fileca, or --ca-key pkcs11:...); ${value === 'ephemeralca' ? 'for a throwaway CA use --dev' : 'this backend does not carry over'}`,
        );
    } else if (key === 'fileca-key-passwd') {
      if (typeof value !== 'string' && typeof value !== 'number') problems.push('fileca-key-passwd must be a string');
      else keyPassphrase = String(value);
    } else if (key === 'client-signing-algorithms') {
      const list = algorithms(value);
      const same = list !== undefined && list.length === FULCIO_CLIENT_ALGORITHMS.length && FULCIO_CLIENT_ALGORITHMS.every((a) => list.includes(a));
      if (!same)
        problems.push(`client-signing-algorithms: Fulgor certifies exactly Fulcio's default algorithms (${FULCIO_CLIENT_ALGORITHMS.join(', ')}) and cannot narrow them; remove the key`);
    } else if (key === 'ct-log.tls-ca-cert') {
      problems.push(`ct-log.tls-ca-cert: not supported; for a CT log whose HTTPS certificate needs a private CA, start Fulgor with NODE_EXTRA_CA_CERTS=${typeof value === 'string' ? value : 'FILE'} and remove the key`);
    } else if (key in IGNORED) {
      warnings.push(`${key}: ignored: ${IGNORED[key]}`);
    } else if (key === 'ct-log-url' && value === '') {
      warnings.push('ct-log-url: "" turns CT off in Fulcio; Fulgor always logs, here to its companion log (--ct-port)');
    } else {
      const target = CARRIED[key] ?? own.get(key);
      const spec = target === undefined ? undefined : specs[target];
      if (target === undefined || spec === undefined) {
        const near = suggest(key, known);
        problems.push(`${key}: not a Fulcio or Fulgor serve setting${near ? ` (did you mean ${near}?)` : ''}`);
        continue;
      }
      if (value === null || value === undefined) {
        problems.push(`${key}: has no value`);
        continue;
      }
      let v: string | boolean | string[];
      try {
        v = flagValue(key, spec, value);
      } catch (e) {
        problems.push((e as Error).message);
        continue;
      }
      const earlier = from.get(target);
      if (earlier !== undefined && JSON.stringify(flags[target]) !== JSON.stringify(v)) problems.push(`${earlier} and ${key} set --${target} to different values`);
      flags[target] = v;
      from.set(target, key);
    }
  }
  if (problems.length) throw new UsageError(`--server-config ${path}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`);
  return { flags, ...(keyPassphrase !== undefined ? { keyPassphrase } : {}), warnings };
}

/**
 * serve's layer: the server config named by --server-config (or FULGOR_SERVER_CONFIG), warnings on stderr, and
 * fileca-key-passwd as FULGOR_KEY_PASSPHRASE when neither that nor --key-passphrase-file is set.
 */
export function serverConfigLayer(specs: FlagSpecs): (given: Flags, env: NodeJS.ProcessEnv) => Flags {
  return (given, env) => {
    const path = flag(given, 'server-config');
    if (path === undefined) return {};
    const sc = readServerConfig(path, specs);
    for (const w of sc.warnings) process.stderr.write(`fulgor serve: --server-config ${path}: ${w}\n`);
    const merged = { ...sc.flags, ...given };
    // Fulcio embeds an external log's SCTs unchecked when ct-log-public-key-path is missing; Fulgor never does.
    if (flag(sc.flags, 'ct-log-url') && flag(merged, 'ct-log-url') === flag(sc.flags, 'ct-log-url') && !flag(merged, 'ct-log-public-key'))
      throw new UsageError(
        `--server-config ${path}: ct-log-url ${flag(sc.flags, 'ct-log-url') as string} without ct-log-public-key-path: Fulgor verifies every SCT with the log's key before embedding it; add ct-log-public-key-path (the log's PEM public key) to the file, or give --ct-log-public-key`,
      );
    if (flag(merged, 'config-path') === undefined) {
      const beside = ['config.yaml', 'config.json'].map((f) => join(dirname(path), f)).find((f) => existsSync(f));
      if (beside !== undefined) {
        process.stderr.write(`fulgor serve: --server-config ${path}: no config-path: using ${beside} beside it (as Fulcio's default /etc/fulcio-config/config.yaml)\n`);
        sc.flags['config-path'] = beside;
      }
    }
    if (sc.keyPassphrase !== undefined && flag({ ...sc.flags, ...given }, 'key-passphrase-file') === undefined && !env[PASSPHRASE_ENV]) env[PASSPHRASE_ENV] = sc.keyPassphrase;
    return sc.flags;
  };
}
