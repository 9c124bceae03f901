// `fulgor config check --config-path FILE [--json]`: validates a whole identity config file the way the server loads
// it, and lists every problem with its location: parse errors, bad URLs, bad templates and bad policies (all from
// parseIdentityConfig), keys nothing reads (which the server only warns about, as Fulcio ignores them), and JWKSPath
// files that are missing or do not hold a public JWKS. Exit status: 0 when clean (warnings may be printed), 1 when
// there are problems, 2 for usage errors. --json prints {ok, path, problems, warnings, issuers, metaIssuers}.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseIdentityConfig } from '../oidc/identity-compile.js';
import { type IdentityConfig } from '../oidc/identity-config.js';
import { ISSUER_KEYS, TOP_KEYS, isRecord, lookup, spell, type Flavor } from '../config/keys.js';
import { decodeIdentityDocument, problemLines, unknownKeys } from '../config/unknown-keys.js';
import { readStaticJwks, resolveJwksPath } from '../oidc/static-jwks.js';
import type { Command } from './command.js';
import { bool, flag, str, type Flags } from './flags.js';

const USAGE = 'usage: fulgor config check --config-path FILE [--json]';

export interface ConfigReport {
  readonly ok: boolean;
  readonly path: string;
  readonly problems: string[];
  readonly warnings: string[];
  readonly issuers?: number;
  readonly metaIssuers?: number;
}

/** Every issuer's JWKSPath in the decoded document, checked: `oidc-issuers["u"].jwks-path: ...` per bad file. */
function jwksPathProblems(doc: unknown, flavor: Flavor, baseDir: string): string[] {
  const out: string[] = [];
  if (!isRecord(doc)) return out;
  const key = spell(ISSUER_KEYS, 'jwksPath', flavor);
  for (const name of [spell(TOP_KEYS, 'oidcIssuers', flavor), spell(TOP_KEYS, 'metaIssuers', flavor)]) {
    const section = lookup(doc, name, flavor);
    if (!isRecord(section)) continue;
    for (const [issuer, raw] of Object.entries(section)) {
      const path = isRecord(raw) ? lookup(raw, key, flavor) : undefined;
      if (typeof path !== 'string' || path === '') continue;
      try {
        readStaticJwks(resolveJwksPath(path, baseDir));
      } catch (e) {
        out.push(`${name}[${JSON.stringify(issuer)}].${key}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

/** Checks one config file's text; `path` locates it (and relative JWKSPath files). */
export function checkIdentityConfig(text: string, path: string): ConfigReport {
  const problems: string[] = [];
  let warnings: string[] = [];
  let identity: IdentityConfig | undefined;
  try {
    identity = parseIdentityConfig(text, path);
    warnings = [...(identity.warnings ?? [])];
  } catch (e) {
    problems.push(...problemLines((e as Error).message));
  }
  let decoded: ReturnType<typeof decodeIdentityDocument> | undefined;
  try {
    decoded = decodeIdentityDocument(text);
  } catch (e) {
    // parseIdentityConfig has reported why the file does not decode; if it somehow did, say what was skipped.
    if (identity !== undefined) warnings.push(`unknown keys were not checked: ${(e as Error).message}`);
  }
  if (decoded !== undefined) {
    const unknown = unknownKeys(decoded.doc, decoded.flavor);
    problems.push(...unknown, ...jwksPathProblems(decoded.doc, decoded.flavor, dirname(path)));
    // Drop parser warnings about the same keys (the CI metadata reader warns about unknown keys too).
    const at = unknown.map((u) => u.slice(0, u.indexOf(': ') + 1));
    warnings = warnings.filter((w) => !at.some((a) => w.startsWith(a)));
  }
  return {
    ok: problems.length === 0,
    path,
    problems,
    warnings,
    ...(identity !== undefined ? { issuers: identity.oidcIssuers.size, metaIssuers: identity.metaIssuers.length } : {}),
  };
}

function reportText(r: ConfigReport): string {
  const lines: string[] = [];
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (r.ok) lines.push(`${r.path}: ok (${plural(r.issuers ?? 0, 'issuer')}, ${plural(r.metaIssuers ?? 0, 'meta issuer')})`);
  else lines.push(`${r.path}: ${plural(r.problems.length, 'problem')}:`, ...r.problems.map((p) => `  - ${p}`));
  if (r.warnings.length > 0) lines.push(`${plural(r.warnings.length, 'warning')}:`, ...r.warnings.map((w) => `  - ${w}`));
  return lines.join('\n') + '\n';
}

export async function configCheckCommand(flags: Flags): Promise<void> {
  let path: string | undefined;
  try {
    path = flag(flags, 'config-path');
  } catch (e) {
    process.stderr.write(`fulgor config check: ${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (path === undefined) {
    process.stderr.write(`fulgor config check: --config-path is required\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  let report: ConfigReport;
  try {
    report = checkIdentityConfig(readFileSync(path, 'utf8'), path);
  } catch (e) {
    report = { ok: false, path, problems: [`${path}: cannot read: ${(e as Error).message}`], warnings: [] };
  }
  process.stdout.write(flags['json'] === true ? JSON.stringify(report, null, 2) + '\n' : reportText(report));
  process.exitCode = report.ok ? 0 : 1;
}

export const CONFIG_CHECK_COMMAND: Command = {
  name: 'config check',
  summary: 'validate an identity config file as the server loads it, listing every problem with its location',
  flags: {
    'config-path': str('FILE', 'the identity config file (required)'),
    json: bool('print the report as JSON'),
  },
  notes: ['Exit status: 0 clean (warnings may be printed), 1 problems, 2 usage error.'],
  run: configCheckCommand,
};
