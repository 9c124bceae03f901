// Outside --dev, an issuer whose discovery document and keys would travel over plain http:// across a network gets a
// warning (at start and at each reload): anyone on the path could hand the CA keys of their own and have any identity
// certified. Not warned: issuers with a JWKSPath (no fetch at all) and loopback hosts (localhost, 127.0.0.0/8, ::1:
// a sidecar on the same machine, no network path).
import type { IdentityConfig } from '../oidc/identity-config.js';
import type { Logger } from '../lib/log.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** True for an http:// URL (or MetaIssuers pattern) whose host is not loopback. */
export function isPlainHttpOffHost(url: string): boolean {
  if (!url.toLowerCase().startsWith('http://')) return false;
  const host = /^http:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(url)?.[1] ?? '';
  return !LOOPBACK.test(host);
}

export function warnPlainHttpIssuers(identity: IdentityConfig, logger: Logger): void {
  const plain = [
    ...[...identity.oidcIssuers.values()].filter((i) => i.jwksPath === undefined && isPlainHttpOffHost(i.issuerUrl)).map((i) => i.issuerUrl),
    ...identity.metaIssuers.filter((m) => isPlainHttpOffHost(m.pattern)).map((m) => m.pattern),
  ];
  for (const issuer of plain)
    logger.log('warn', 'an OIDC issuer is configured with http://: its discovery document and keys are fetched without TLS; use https:// outside development', {
      issuer,
    });
}
