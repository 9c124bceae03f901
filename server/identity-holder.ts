// The identity config in force, and its hot reload. Everything that depends on the config (the token verifier with
// its discovery cache and static key sets, the issuer mappings and policies carried by each IssuerConfig,
// /api/v2/configuration, the explain route) is built into one IdentityState and swapped in with a single
// assignment, so a request sees either the old state or the new one, never a mix. A file that does not load, or
// whose JWKSPath files cannot be read, is rejected with every problem logged, and the current state stays.
import { readFileSync } from 'node:fs';
import type express from 'express';
import { parseIdentityConfig } from '../oidc/identity-compile.js';
import { type IdentityConfig } from '../oidc/identity-config.js';
import { problemLines, unknownKeysInText } from '../config/unknown-keys.js';
import type { Logger } from '../lib/log.js';
import type { TokenVerifier } from '../oidc/token-verifier.js';

export interface IdentityState {
  readonly identity: IdentityConfig;
  readonly verifier: TokenVerifier;
  /** POST /explain for this state (only when explain is enabled). */
  readonly explain?: express.Router;
}

export interface ReloadResult {
  readonly issuers: number;
  readonly metaIssuers: number;
  readonly warnings: readonly string[];
}

export interface IdentityHolderOptions {
  /** The file the config is read from (and re-read on reload). */
  readonly configPath?: string;
  /** A config given directly (tests): wins over configPath at start; reload still reads configPath. */
  readonly initial?: IdentityConfig;
  /** Builds the state for a loaded config (undefined: no file, development issuers only). Throws if unusable. */
  readonly build: (identity: IdentityConfig | undefined) => IdentityState;
  readonly logger: Logger;
}

export interface IdentityHolder {
  current(): IdentityState;
  /** Verifies with whatever state is current when the token arrives. */
  readonly verifier: TokenVerifier;
  /** Re-reads configPath; resolves with what was loaded, or rejects (after logging) with the old state kept. */
  reload(): Promise<ReloadResult>;
}

/** Reads and parses a config file; warnings include keys the server ignores. Throws listing every problem. */
function readConfig(path: string): { identity: IdentityConfig; warnings: string[] } {
  const text = readFileSync(path, 'utf8');
  const identity = parseIdentityConfig(text, path);
  const ignored = unknownKeysInText(text).map((u) => `${u} (ignored)`);
  return { identity, warnings: [...(identity.warnings ?? []), ...ignored] };
}

const count = (identity: IdentityConfig) => ({ issuers: identity.oidcIssuers.size, metaIssuers: identity.metaIssuers.length });

/** Loads the initial state (throwing if it is unusable: the CA does not start on a bad config) and returns the holder. */
export function createIdentityHolder(o: IdentityHolderOptions): IdentityHolder {
  const logWarnings = (warnings: readonly string[]) => {
    for (const w of warnings) o.logger.log('warn', 'identity config warning', { path: o.configPath, warning: w });
  };
  let warnings: string[] = [];
  let initial = o.initial;
  if (initial === undefined && o.configPath !== undefined) ({ identity: initial, warnings } = readConfig(o.configPath));
  else if (initial !== undefined) warnings = [...(initial.warnings ?? [])];
  let state = o.build(initial);
  if (initial !== undefined) o.logger.log('info', 'identity config loaded', { path: o.configPath, ...count(initial) });
  logWarnings(warnings);

  let queue: Promise<unknown> = Promise.resolve();
  const reloadNow = async (): Promise<ReloadResult> => {
    const path = o.configPath;
    if (path === undefined) throw new Error('the identity config was not read from a file (--config-path): nothing to reload');
    let next: IdentityState;
    let loaded: ReturnType<typeof readConfig>;
    try {
      loaded = readConfig(path);
      next = o.build(loaded.identity);
    } catch (e) {
      const problems = problemLines((e as Error).message);
      o.logger.log('error', 'identity config reload rejected; keeping the current config', { path, problems });
      throw new Error(`identity config reload rejected (the current config stays):\n${problems.map((p) => `  - ${p}`).join('\n')}`, { cause: e });
    }
    state = next;
    o.logger.log('info', 'identity config reloaded', { path, ...count(loaded.identity), warnings: loaded.warnings.length });
    logWarnings(loaded.warnings);
    return { ...count(loaded.identity), warnings: loaded.warnings };
  };

  return {
    current: () => state,
    verifier: { verify: (token) => state.verifier.verify(token) },
    reload() {
      // One reload at a time, in arrival order.
      const run = queue.then(reloadNow);
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
