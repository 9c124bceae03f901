// The composition root of `fulgor serve`: keys, identity config, token verifier, CA, CT log (companion or
// external), and the HTTP listeners. Returns handles so tests can run it on port 0 and close it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { createCertificateAuthority } from '../ca/authority.js';
import { createIssuingCa } from '../ca/issuing-ca.js';
import type { IdentityConfig, IssuerConfig } from '../config/identity.js';
import { loadIdentityConfig } from '../config/identity.js';
import { loadKeys, spkiDer } from '../config/keys-dir.js';
import { createCtClient, createCtServer, createLog, createMemoryStore, serializeSctList } from '../ct/index.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { keySigner } from '../lib/signer.js';
import { DEV_TOKEN_TYPES, type DevTokenType } from '../oidc/dev-claims.js';
import { issuerRouter } from '../oidc/dev-issuer.js';
import { mapClaims } from '../oidc/issuers/index.js';
import { createTokenVerifier } from '../oidc/token-verifier.js';
import { createApp } from './app.js';
import { createSigningService } from './signing-service.js';

export const DEV_ISSUER_PATH = '/dev-oidc';
const DEV_ISSUER_TYPES: Record<DevTokenType, IssuerConfig['type']> = {
  github: 'github-workflow',
  gitlab: 'gitlab-pipeline',
  email: 'email',
};
/** The development issuer of one token type: `{caUrl}/dev-oidc/{type}`. */
export const devIssuerUrl = (caUrl: string, type: DevTokenType) => `${caUrl.replace(/\/+$/, '')}${DEV_ISSUER_PATH}/${type}`;

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly ctPort: number;
  readonly keysDir: string;
  readonly dev: boolean;
  readonly configPath?: string;
  /** Identity config given directly (tests); wins over configPath. */
  readonly identity?: IdentityConfig;
  /** An external RFC 6962 log instead of the companion one. */
  readonly ctLogUrl?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface RunningFulgor {
  readonly caUrl: string;
  /** The companion log's URL, or the external one. */
  readonly ctUrl: string;
  readonly devOidcKey: KeyObject;
  readonly caChain: Buffer[];
  readonly ctLogSpki: Buffer;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host);

function withDevIssuers(identity: IdentityConfig | undefined, caUrl: string): IdentityConfig {
  const issuers = new Map(identity?.oidcIssuers ?? []);
  for (const t of DEV_TOKEN_TYPES) {
    const dev: IssuerConfig = { issuerUrl: devIssuerUrl(caUrl, t), clientId: 'sigstore', type: DEV_ISSUER_TYPES[t] };
    issuers.set(dev.issuerUrl, dev);
  }
  return { oidcIssuers: issuers, metaIssuers: identity?.metaIssuers ?? [], ciIssuerMetadata: identity?.ciIssuerMetadata ?? {} };
}

export async function serve(o: ServeOptions): Promise<RunningFulgor> {
  const clock = o.clock ?? systemClock;
  const keys = await loadKeys(o.keysDir, { create: o.dev });
  if (keys.created.length) o.logger.log('info', 'created development keys', { dir: o.keysDir, files: keys.created });
  let identity = o.identity ?? (o.configPath ? loadIdentityConfig(o.configPath) : undefined);
  if (!identity && !o.dev) throw new Error('give --config-path with the OIDC issuers to trust (or --dev for development)');

  const caServer = createServer();
  const ctServer = o.ctLogUrl ? undefined : createServer();
  const caPort = await listen(caServer, o.port, o.host);
  const caUrl = `http://${urlHost(o.host)}:${caPort}`;
  let ctUrl = o.ctLogUrl ?? '';
  const ctKeySpki = spkiDer(keys.ctKey);
  if (ctServer) {
    const log = createLog({ signer: keySigner(keys.ctKey), roots: [keys.caChain[keys.caChain.length - 1] as Buffer], store: createMemoryStore(), clock, logger: o.logger });
    ctServer.on('request', createCtServer(log, { logger: o.logger }));
    ctUrl = `http://${urlHost(o.host)}:${await listen(ctServer, o.ctPort, o.host)}`;
  }

  const extraRouters: Array<[string, ReturnType<typeof issuerRouter>]> = [];
  if (o.dev) {
    identity = withDevIssuers(identity, caUrl);
    for (const t of DEV_TOKEN_TYPES)
      extraRouters.push([`${DEV_ISSUER_PATH}/${t}`, issuerRouter(devIssuerUrl(caUrl, t), () => [keys.devOidcKey])]);
  }
  const ct = createCtClient({ url: ctUrl, ...(o.ctLogUrl ? {} : { logPublicKeySpki: ctKeySpki }) });
  const ca = createCertificateAuthority(createIssuingCa(keys.caChain, keySigner(keys.caKey)), { clock });
  const signing = createSigningService({
    verifier: createTokenVerifier(identity as IdentityConfig, { clock }),
    mapClaims: (t) => mapClaims(t.issuer, t.claims),
    ca,
    ct: { sctListFor: async (chain) => serializeSctList([await ct.addPreChain(chain)]) },
    logger: o.logger,
  });
  caServer.on('request', createApp({ signing, caChain: keys.caChain, identity: identity as IdentityConfig, logger: o.logger, extraRouters }));
  o.logger.log('info', 'listening', { ca: caUrl, ct: ctUrl, dev: o.dev });
  return {
    caUrl,
    ctUrl,
    devOidcKey: keys.devOidcKey,
    caChain: keys.caChain,
    ctLogSpki: ctKeySpki,
    async close() {
      await Promise.all([close(caServer), ctServer ? close(ctServer) : Promise.resolve()]);
    },
  };
}
