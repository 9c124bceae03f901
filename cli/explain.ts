// `fulgor explain`: which issuer and mapping a token (or a claims file) matches, every policy verdict, and the SAN
// and extensions the certificate would carry, without issuing anything.
//
//   fulgor explain --config-path FILE (--token JWT | --claims FILE.json) [--issuer URL] [--json]
//                  [--rate-limit-per-identity RATE] [--rate-limit-per-repository RATE] [--rate-limit-per-address RATE]
//
// --token is verified fully (discovery + JWKS signature, issuer, audience, expiry) before it is explained; `--token -`
// reads it from stdin and `--token @FILE` from a file, keeping it out of the process list. --claims (a JSON object;
// `-` for stdin) is mapped only; --issuer, or else the claims' `iss`, picks the issuer. --json prints the object
// documented in decision/explain.ts. The --rate-limit-per-* flags are serve's server-wide defaults: give the same
// values to see the rates that apply to issuers that set none. Exit status: 0 when a certificate would be issued, 1 when it would not (the
// explanation says why), 2 for usage or configuration errors.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadIdentityConfig } from '../oidc/identity-compile.js';
import { type IdentityConfig } from '../oidc/identity-config.js';
import { systemClock } from '../lib/clock.js';
import { explainClaims, explainToken, type Explanation } from '../decision/explain.js';
import { explanationText } from '../decision/explain-text.js';
import { createTokenVerifier } from '../oidc/token-verifier.js';
import type { Command } from './command.js';
import { bool, flag, str, type Flags } from './flags.js';
import { RATE_LIMIT_DEFAULT_FLAGS, rateLimitDefaultsFlags } from './rate-limit-flags.js';

const USAGE =
  'usage: fulgor explain --config-path FILE (--token JWT|-|@FILE | --claims FILE.json|-) [--issuer URL] [--json]\n' +
  '                      [--rate-limit-per-identity RATE] [--rate-limit-per-repository RATE] [--rate-limit-per-address RATE]';

class UsageError extends Error {}

const readInput = (source: string): string => readFileSync(source === '-' ? 0 : source, 'utf8');

function readClaims(source: string): Record<string, unknown> {
  let text: string;
  try {
    text = readInput(source);
  } catch (e) {
    throw new UsageError(`--claims: cannot read ${source}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--claims: ${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`--claims: ${source} must hold a JSON object of claims`);
  return doc as Record<string, unknown>;
}

function readToken(value: string): string {
  if (value !== '-' && !value.startsWith('@')) return value.trim();
  const source = value === '-' ? '-' : value.slice(1);
  try {
    return readInput(source).trim();
  } catch (e) {
    throw new UsageError(`--token: cannot read ${source}: ${(e as Error).message}`);
  }
}

async function explain(flags: Flags): Promise<Explanation> {
  const get = (name: string): string | undefined => {
    try {
      return flag(flags, name);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  const [configPath, token, claims, issuer] = ['config-path', 'token', 'claims', 'issuer'].map(get);
  if (configPath === undefined) throw new UsageError('--config-path is required');
  if ((token === undefined) === (claims === undefined)) throw new UsageError('give exactly one of --token or --claims');
  if (token !== undefined && issuer !== undefined) throw new UsageError('--issuer goes with --claims: a token names its own issuer');
  let options;
  try {
    options = { rateLimitDefaults: rateLimitDefaultsFlags(flags) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let identity: IdentityConfig;
  try {
    identity = loadIdentityConfig(configPath);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (claims !== undefined) return explainClaims(identity, readClaims(claims), issuer, options);
  let verifier;
  try {
    verifier = createTokenVerifier(identity, { clock: systemClock, baseDir: dirname(configPath) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return explainToken(identity, verifier, readToken(token as string), options);
}

export async function explainCommand(flags: Flags): Promise<void> {
  let x: Explanation;
  try {
    x = await explain(flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`fulgor explain: ${e.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(flags['json'] === true ? JSON.stringify(x, null, 2) + '\n' : explanationText(x));
  process.exitCode = x.allowed ? 0 : 1;
}

export const EXPLAIN_COMMAND: Command = {
  name: 'explain',
  summary: 'which issuer, mapping and policy rules a token (or claims) meets, and the certificate it would get',
  flags: {
    'config-path': str('FILE', 'the identity config to explain against (required)'),
    token: str('JWT|-|@FILE', 'a token to verify and explain (- reads stdin, @FILE a file)'),
    claims: str('FILE.json|-', 'claims to map without a token (a JSON object)'),
    issuer: str('URL', "with --claims: the issuer (default the claims' iss)"),
    json: bool('print the explanation as JSON'),
    ...RATE_LIMIT_DEFAULT_FLAGS,
  },
  notes: ['Give exactly one of --token or --claims. Exit status: 0 would issue, 1 would not, 2 usage or config error.'],
  run: explainCommand,
};
