// The human-readable form of an Explanation (`fulgor explain` without --json).
import type { Explanation, Problem } from './explain.js';

const problemText = (p: Problem) => `${p.reason}: ${p.message}`;

function pad(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function issuerLines(x: Explanation): string[] {
  if (x.issuer === null) {
    const lines = ['Issuer:      none matched'];
    const { oidcIssuers, metaIssuers } = x.configuredIssuers;
    lines.push(`  configured OIDCIssuers: ${oidcIssuers.length ? '' : '(none)'}`, ...oidcIssuers.map((u) => `    ${u}`));
    lines.push(`  configured MetaIssuers: ${metaIssuers.length ? '' : '(none)'}`, ...metaIssuers.map((u) => `    ${u}`));
    return lines.map((l) => l.trimEnd());
  }
  const i = x.issuer;
  const how = i.matchedBy === 'MetaIssuers' ? `MetaIssuers pattern ${i.pattern ?? ''}` : 'OIDCIssuers entry';
  return [`Issuer:      ${i.url} (${how}; client ID ${i.clientId})`];
}

function tokenLine(x: Explanation): string {
  if (x.input === 'claims') return 'Token:       not checked (claims mapped only)';
  if (x.tokenVerified) return 'Token:       verified (signature, issuer, audience, expiry)';
  const p = x.errors.find((e) => e.stage === 'token');
  return `Token:       NOT VERIFIED${p ? `: ${problemText(p)}` : ''}`;
}

function mappingLines(x: Explanation): string[] {
  if (x.mapping === null) return ['Mapping:     none (no issuer)'];
  const ci = x.issuer?.ciProvider ? ` (ci-provider ${x.issuer.ciProvider})` : '';
  if (x.mapping.ok) return [`Mapping:     ${x.mapping.type}${ci}: matched`];
  return [`Mapping:     ${x.mapping.type}${ci}: FAILED: ${x.mapping.error ? problemText(x.mapping.error) : 'unknown error'}`];
}

function policyLines(x: Explanation): string[] {
  const p = x.policy;
  if (p === null) return ['Policy:      not evaluated (no issuer)'];
  if (!p.configured) return ['Policy:      none configured for this issuer (every mapped identity is allowed)'];
  const head = p.allowed ? `Policy:      allowed (${p.rules.length} rule${p.rules.length === 1 ? '' : 's'})` : `Policy:      REFUSED by rule "${p.refusedBy ?? ''}"`;
  const rows = p.rules.map((v) => [v.effect, v.rule, v.allowed ? 'pass' : 'REFUSE', v.reason]);
  return [head, ...pad(rows).map((l) => `  ${l}`)];
}

function certificateLines(x: Explanation): string[] {
  const c = x.certificate;
  if (c === null) return ['Certificate: none (the mapping did not produce an identity)'];
  const san = c.san.oid ? `${c.san.type} ${c.san.oid}` : c.san.type;
  const rows = c.extensions.map((e) => [e.oid, e.name, e.value]);
  return [
    'Certificate:',
    `  Proof of possession must sign: ${c.challenge}`,
    `  Subject alternative name (${san}, critical): ${c.san.value}`,
    '  Extensions:',
    ...pad(rows).map((l) => `    ${l}`),
  ];
}

function rateLimitLines(x: Explanation): string[] {
  if (x.rateLimits === null) return ['Rate limits: none known (no identity)'];
  const rows = x.rateLimits.map((l) => [
    `per ${l.scope}`,
    l.rate ?? 'no limit',
    l.source === 'none' ? '(no issuer or server default)' : `(${l.source})`,
    l.scope === 'address' ? 'each client address' : l.key,
  ]);
  return ['Rate limits: (configured rates, not the current bucket state)', ...pad(rows).map((l) => `  ${l}`)];
}

export function explanationText(x: Explanation): string {
  const lines = [...issuerLines(x), tokenLine(x), ...mappingLines(x), ...policyLines(x), ...certificateLines(x), ...rateLimitLines(x)];
  if (x.allowed) lines.push('Result:      a certificate would be issued (given a valid key and proof of possession)');
  else {
    const first = x.errors[0];
    lines.push(`Result:      REFUSED${first ? ` at ${first.stage}: ${problemText(first)}` : ''}`);
    for (const e of x.errors.slice(1)) lines.push(`             also at ${e.stage}: ${problemText(e)}`);
  }
  for (const w of x.warnings) lines.push(`Warning:     ${w}`);
  return lines.join('\n') + '\n';
}
