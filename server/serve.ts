// The composition root of `fulgor serve`: keys (read by config/keys-dir.ts, opened through signer/ and checked by
// server/open-keys.ts), identity config, token verifier, CA, CT log (companion or external), and the HTTP listeners. Returns handles so tests can run it on port 0 and close it. The identity
// config lives in an IdentityHolder (server/identity-holder.ts) so that `reload()` (SIGHUP in `fulgor serve`) can
// swap it, with its verifier, mappings, policies, /api/v2/configuration and explain route, in one step.
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import express from 'express';
import { createCertificateAuthority } from '../ca/authority.js';
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { createIssuingCa, type IssuingCa } from '../ca/issuing-ca.js';
import { startPopThread } from '../ca/pop-thread.js';
import type { IdentityConfig, IssuerConfig } from '../oidc/identity-config.js';
import { KEY_FILES, loadKeys, type KeyMaterial } from '../config/keys-dir.js';
import { createCtClient } from '../ct/index.js';
import { DEFAULT_DRAIN_MS, listenHttp } from '../lib/listen.js';
import type { TlsFiles } from '../lib/tls-files.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { FulgorError } from '../lib/errors.js';
import type { Signer } from '../lib/signer.js';
import { applyServingHeapSettings } from '../lib/serving-heap.js';
import { KeyError, type ClosableSigner } from '../signer/index.js';
import { DEV_TOKEN_TYPES, type DevTokenType } from '../oidc/dev-claims.js';
import { issuerRouter } from '../oidc/dev-issuer.js';
import { createTokenVerifier } from '../oidc/token-verifier.js';
import { TIMESTAMP_PATH, timestampOffRouter, timestampRouter } from '../tsa/index.js';
import { createApp, type SigningRoutesIn } from './app.js';
import { createCaHolder, type CaGeneration } from './ca-holder.js';
import { explainRouter } from './explain-route.js';
import { closeAll, developmentKeysRefusal, keyOpeningOf, openKey } from './open-keys.js';
import { openCompanionLog, openCtSigner, startCompanionLog, type CompanionLogOptions, type SharedLog } from './companion-log.js';
import { openTimestampAuthority } from './open-tsa.js';
import { startLogThread } from './log-thread.js';
import { rpcStatus } from './error-response.js';
import { createIdentityHolder, type IdentityState, type ReloadResult } from './identity-holder.js';
import { openAuditLog, type AuditLog } from './audit-log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { openRateLimiter, type RateLimitOptions } from './open-rate-limiter.js';
import { companionSctSource, sctSource } from './sct-source.js';
import { createSigningService } from './signing-service.js';
import { warnPlainHttpIssuers } from './plain-http-issuers.js';
import { reloadTls } from './tls-reload.js';

export const DEV_ISSUER_PATH = '/dev-oidc';
const DEV_ISSUER_TYPES: Record<DevTokenType, IssuerConfig['type']> = {
  github: 'github-workflow',
  gitlab: 'gitlab-pipeline',
  email: 'email',
};
/** The development issuer of one token type: `{caUrl}/dev-oidc/{type}`. */
export const devIssuerUrl = (caUrl: string, type: DevTokenType) => `${caUrl.replace(/\/+$/, '')}${DEV_ISSUER_PATH}/${type}`;

export interface ServeOptions extends CompanionLogOptions {
  readonly port: number;
  readonly dev: boolean;
  readonly configPath?: string;
  /** Identity config given directly (tests); wins over configPath. */
  readonly identity?: IdentityConfig;
  /** An external RFC 6962 log instead of the companion one. */
  readonly ctLogUrl?: string;
  /** The external log's public key (DER SPKI), required with ctLogUrl: its SCTs are verified before they are embedded. */
  readonly ctLogPublicKey?: Buffer;
  /** --ct-log-origin: the Host header sent to the external log when it differs from the URL's (Fulcio's flag). */
  readonly ctLogOrigin?: string;
  /** Serve POST /api/v2/explain (operators only: it reveals how tokens map). */
  readonly enableExplain?: boolean;
  /** Companion log roots (DER); default: the CA's root. */
  readonly ctRoots?: Buffer[];
  /** How long close() lets in-flight requests finish before answering them 503 (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** --tls-cert-file / --tls-key-file: serve the CA over HTTPS (reloaded by reload()). */
  readonly tls?: TlsFiles;
  readonly clock?: Clock;
  /** The issuing CA's signer (default: the keys dir's CA key, or caKey); its public key must match the CA certificate. */
  readonly caSigner?: Signer;
  /** --ca-cert: the CA chain (issuing CA first, root last) in place of the keys dir's intermediate-ca.pem and root-ca.pem. */
  readonly caCert?: string;
  /** --ca-key / --ct-log-key: key URIs (path, file:PATH, pkcs11:...) in place of the keys dir's own. */
  readonly caKey?: string;
  readonly ctLogKey?: string;
  /** --tsa-key: the timestamp authority's key URI in place of the keys dir's tsa.key.pem / tsa.key.uri. */
  readonly tsaKey?: string;
  /** --allow-dev-keys: serve development keys without --dev. */
  readonly allowDevKeys?: boolean;
  /** Rate limits: server-wide default rates, Redis sharing, metrics observer (README "Rate limits"). */
  readonly rateLimit?: RateLimitOptions;
  /** --trust-proxy HOPS: how many reverse proxies' X-Forwarded-For entries to believe for the client address (default 0: the socket's). */
  readonly trustProxy?: number;
  /** Who answers the two signing routes: plain node:http (default) or express (benchmarks compare them; no CLI flag). */
  readonly signingRoutes?: SigningRoutesIn;
  /** --audit-log: a file (appended, fsynced per batch) or `-` (stdout) for one JSON line per signing decision. */
  readonly auditLog?: string;
  /**
   * A companion log run by another process (the cluster primary, server/cluster.ts): this process opens no CT key
   * and starts no log; it hands precertificate chains to `submitPreChain` (the SCT comes back once the entry is durable).
   */
  readonly sharedLog?: SharedLog;
  /**
   * The companion log on a thread of its own (server/log-thread.ts), so that its chain checks, SCT signatures, tree
   * hashing and store do not share the CA's event loop. Not with an injected clock (it does not cross threads).
   */
  readonly logThread?: boolean;
  /** An audit log kept by another process (the cluster primary, its one writer); wins over auditLog. */
  readonly sharedAudit?: AuditLog;
  /** GET /metrics of a cluster: every worker's registry summed (server/cluster.ts); this process's is handed over. */
  readonly clusterMetrics?: { share(registry: Metrics['registry']): void; render(): Promise<string> };
}


export interface RunningFulgor {
  readonly caUrl: string;
  /** The companion log's URL, or the external one. */
  readonly ctUrl: string;
  /** The development OIDC issuer's key (always there in --dev mode). */
  readonly devOidcKey?: KeyObject;
  /** [issuing CA, ...intermediates, root], DER: what /api/v2/trustBundle serves and every certificate's chain. */
  readonly caChain: Buffer[];
  readonly ctLogSpki: Buffer;
  /** The timestamp authority's chain (TSA certificate first, no root) when the keys dir holds one (it is served at /api/v1/timestamp). */
  readonly tsaChain?: Buffer[];
  /**
   * Re-reads the keys directory: a new active issuing CA (`fulgor ca rotate`) is opened, checked and swapped in
   * (requests in flight finish with the old one, whose key is closed after them; a broken one is rejected and the
   * current CA stays). Then re-reads --config-path and, if it is valid (JWKSPath files included), swaps it in; otherwise rejects with every
   * problem, logged, and the current config stays. In --dev mode the development issuers are added again.
   * First, the TLS certificate and key files of the CA and companion log listeners are re-read: a changed pair is
   * served to new connections (`tlsReloaded` names the listeners); a bad one is logged and the current one stays.
   */
  reload(): Promise<ReloadResult & { caReloaded: boolean; tlsReloaded: string[] }>;
  /**
   * Graceful stop: the CA stops accepting at once and its in-flight requests finish (those still running after the
   * drain timeout are answered 503 SHUTTING_DOWN); only then is the companion log stopped the same way (so the
   * issuances in flight could still reach it) and its store closed.
   */
  close(options?: { drainMs?: number }): Promise<void>;
  /** Reopens the audit log file after the batch being written (SIGUSR1, for log rotation); nothing without one. */
  reopenAuditLog(): void;
}

/** Why an external log needs its key, and where to get it (`fulgor serve` and `fulgor trust export`). */
export const missingCtLogKeyMessage = (url: string): string =>
  `--ct-log-url ${url} needs --ct-log-public-key PEM-FILE, the log's public key: its SCTs are verified with it before ` +
  'they are embedded, and verifiers check them with it. For a Fulgor log, `fulgor trust export --keys-dir <the ' +
  "log's keys dir> --out DIR` writes it to DIR/ctfe.pub (the keys dir's ctlog.pub.pem is the same key); for any " +
  "other log, get it from the log's operator.";


function withDevIssuers(identity: IdentityConfig | undefined, caUrl: string): IdentityConfig {
  const issuers = new Map(identity?.oidcIssuers ?? []);
  for (const t of DEV_TOKEN_TYPES) {
    const dev: IssuerConfig = { issuerUrl: devIssuerUrl(caUrl, t), clientId: 'sigstore', type: DEV_ISSUER_TYPES[t] };
    issuers.set(dev.issuerUrl, dev);
  }
  return { oidcIssuers: issuers, metaIssuers: identity?.metaIssuers ?? [], ciIssuerMetadata: identity?.ciIssuerMetadata ?? {} };
}

/** The CA's answer to a request still running at the drain deadline, in Fulcio's error shape. */
function shuttingDown(res: ServerResponse): void {
  const { status, body } = rpcStatus(new FulgorError('SHUTTING_DOWN', 'the server is shutting down; retry the request'));
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The keys directory, read and checked: missing or broken files and development keys (outside --dev) are KeyErrors. */
function readKeys(o: ServeOptions): KeyMaterial {
  let keys: KeyMaterial;
  try {
    keys = loadKeys(o.keysDir, {
      ...(o.caCert ? { caCert: o.caCert } : {}),
      ...(o.caKey ? { caKey: o.caKey } : {}),
      ...(o.ctLogKey ? { ctKey: o.ctLogKey } : {}),
      ...(o.tsaKey ? { tsaKey: o.tsaKey } : {}),
    });
  } catch (e) {
    throw e instanceof KeyError ? e : new KeyError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  if (keys.development && !o.dev) {
    if (!o.allowDevKeys) throw developmentKeysRefusal(o.keysDir, keys.development);
    o.logger.log('warn', 'serving development keys without --dev (--allow-dev-keys): never use them for real signing', { dir: o.keysDir });
  }
  if (keys.rootKeyFile && !keys.development)
    o.logger.log('warn', `${keys.rootKeyFile} is the root's private key: it does not belong in the serving keys directory; keep it offline`, { key: keys.rootKeyFile });
  return keys;
}

/** Opens the issuing CA key (unless one was injected) and checks it and the chain: the CA a generation issues with. */
async function openIssuingCa(o: ServeOptions, keys: KeyMaterial, now: Date): Promise<{ issuing: IssuingCa; opened?: ClosableSigner }> {
  let caSigner: Signer | ClosableSigner | undefined = o.caSigner;
  let opened: ClosableSigner | undefined;
  if (!caSigner) {
    opened = await openKey(keys.caKey, 'issuing CA', keyOpeningOf(o));
    caSigner = opened;
  }
  try {
    return { issuing: createIssuingCa(keys.caChain, caSigner, { now }), ...(opened ? { opened } : {}) };
  } catch (e) {
    await opened?.close().catch(() => undefined);
    const key = 'description' in caSigner ? ` (key: ${String(caSigner.description)})` : '';
    throw new KeyError(`${join(o.keysDir, KEY_FILES.caCert)}${key}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Every chain verifiers need: the active one, then the retired ones (newest retirement first). */
const trustChainsOf = (keys: KeyMaterial): Buffer[][] => [keys.caChain, ...[...keys.retired].reverse().map((r) => r.chain)];

/** Every root involved (active and retired chains), once each: what the companion log accepts. */
export const rootsOf = (keys: KeyMaterial): Buffer[] => {
  const roots: Buffer[] = [];
  for (const chain of trustChainsOf(keys)) {
    const root = chain[chain.length - 1] as Buffer;
    if (!roots.some((r) => r.equals(root))) roots.push(root);
  }
  return roots;
};

/** --dev: the development keys missing from the keys directory are created (and said so). */
async function createDevKeysIfMissing(o: ServeOptions): Promise<void> {
  const created = o.dev ? await createMissingDevKeys(o.keysDir) : [];
  if (created.length) o.logger.log('info', 'created development keys', { dir: o.keysDir, files: created });
}

/**
 * The companion log alone, for the cluster primary (server/cluster.ts): development keys created if missing (--dev),
 * the keys directory read and checked, the CT key opened, and the log started with its listener, search index and /ui/.
 */
export async function startPrimaryLog(o: ServeOptions) {
  await createDevKeysIfMissing(o);
  const keys = readKeys(o);
  return openCompanionLog(o, keys, o.ctRoots ?? rootsOf(keys), o.clock ?? systemClock);
}

/** Opens the CA, CT log (only for the companion log) and TSA keys and checks them against their certificates. */
async function openServiceKeys(o: ServeOptions, keys: KeyMaterial, clock: Clock) {
  const { issuing, opened: caOpened } = await openIssuingCa(o, keys, clock());
  const opened: ClosableSigner[] = [];
  try {
    let ctSigner: ClosableSigner | undefined;
    if (!o.ctLogUrl && !o.sharedLog) {
      ctSigner = await openCtSigner(o, keys);
      opened.push(ctSigner);
    }
    const tsa = keys.tsa ? await openTimestampAuthority(o.keysDir, keys.tsa, { ...keyOpeningOf(o), clock }) : undefined;
    if (tsa) opened.push(tsa.signer);
    o.logger.log('info', 'keys', {
      dir: o.keysDir,
      caChain: keys.caChain.length,
      retiredCas: keys.retired.length,
      caKey: 'description' in issuing.signer ? (issuing.signer as ClosableSigner).description : 'injected signer',
      ...(ctSigner ? { ctLogKey: ctSigner.description } : o.sharedLog?.keyDescription ? { ctLogKey: o.sharedLog.keyDescription } : {}),
      ...(tsa ? { tsaKey: tsa.signer.description } : {}),
    });
    return { issuing, caOpened, ctSigner, tsa: tsa?.tsa, opened };
  } catch (e) {
    await closeAll(caOpened ? [caOpened, ...opened] : opened);
    throw e;
  }
}

/** What serve() refuses before it opens anything (the cluster primary checks it too, before it forks). */
export function checkServeOptions(o: ServeOptions): void {
  if (o.ctLogUrl && !o.ctLogPublicKey) throw new Error(missingCtLogKeyMessage(o.ctLogUrl));
  if (!o.identity && !o.configPath && !o.dev) throw new Error('give --config-path with the OIDC issuers to trust (or --dev for development)');
}

export async function serve(o: ServeOptions): Promise<RunningFulgor> {
  checkServeOptions(o);
  applyServingHeapSettings();
  await createDevKeysIfMissing(o);
  const keys = readKeys(o);
  if (!(o.logThread ?? true) || o.ctLogUrl || o.sharedLog || o.clock) return serveCa(o, keys);
  const thread = await startLogThread(o, keys, o.ctRoots ?? rootsOf(keys));
  let running: RunningFulgor;
  try {
    running = await serveCa({ ...o, sharedLog: thread.log }, keys);
  } catch (e) {
    await thread.close();
    throw e;
  }
  return {
    ...running,
    get caChain() {
      return running.caChain;
    },
    async reload() {
      const logTls = await thread.reloadTls();
      const result = await running.reload();
      return logTls ? { ...result, tlsReloaded: [...result.tlsReloaded, 'CT log'] } : result;
    },
    async close(options = {}) {
      const drainMs = options.drainMs ?? o.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
      const deadline = Date.now() + drainMs;
      await running.close({ drainMs });
      // The log's own listener gets what is left of the same deadline.
      await thread.close({ drainMs: Math.max(0, deadline - Date.now()) });
    },
  };
}

/** The CA's part of serve(): with the companion log in this thread, or the one given as sharedLog, or an external log. */
async function serveCa(o: ServeOptions, keys: KeyMaterial): Promise<RunningFulgor> {
  const clock = o.clock ?? systemClock;
  const devOidcKey = keys.devOidcKey;
  if (o.dev && !devOidcKey) throw new Error(`missing ${join(o.keysDir, KEY_FILES.devOidcKey)} (create development keys with "fulgor keys init")`);

  if (!keys.tsa) o.logger.log('info', 'timestamp authority off: the keys dir has no tsa.pem and tsa.key.pem (create them with "fulgor ca init" or "fulgor keys init")', { dir: o.keysDir });

  const { issuing, caOpened, ctSigner, tsa, opened } = await openServiceKeys(o, keys, clock);
  if (caOpened) opened.push(caOpened);
  const ctRoots = o.sharedLog?.roots ?? o.ctRoots ?? rootsOf(keys);
  const ctKeySpki = o.ctLogUrl ? (o.ctLogPublicKey as Buffer) : o.sharedLog ? o.sharedLog.spki : (ctSigner as ClosableSigner).spki;
  let companion: Awaited<ReturnType<typeof startCompanionLog>> | undefined;
  try {
    if (!o.ctLogUrl && !o.sharedLog) companion = await startCompanionLog(o, ctSigner as ClosableSigner, ctRoots, clock);
  } catch (e) {
    await closeAll(opened);
    throw e;
  }
  const ctUrl = o.ctLogUrl ?? o.sharedLog?.url ?? (companion?.url as string);
  // The proof-of-possession thread boots while the listener opens, not on the first signing request.
  startPopThread();
  const caListening = await listenHttp(o.host, o.port, undefined, o.tls ? { tls: o.tls } : {}).catch(async (e: unknown) => {
    await companion?.close();
    await closeAll(opened);
    throw e;
  });
  const caUrl = caListening.url;

  const extraRouters: Array<[string, express.Router]> = [];
  extraRouters.push([TIMESTAMP_PATH, tsa ? timestampRouter({ tsa, logger: o.logger }) : timestampOffRouter()]);
  if (o.dev && devOidcKey) {
    for (const t of DEV_TOKEN_TYPES)
      extraRouters.push([`${DEV_ISSUER_PATH}/${t}`, issuerRouter(devIssuerUrl(caUrl, t), () => [devOidcKey])]);
  }
  // Relative JWKSPath files are found next to the config file.
  const baseDir = o.configPath ? dirname(resolve(o.configPath)) : undefined;
  const ownMetrics = createMetrics();
  o.clusterMetrics?.share(ownMetrics.registry);
  const metrics: Metrics = o.clusterMetrics ? { ...ownMetrics, render: o.clusterMetrics.render } : ownMetrics;
  const build = (cfg: IdentityConfig | undefined): IdentityState => {
    if (!o.dev && cfg) warnPlainHttpIssuers(cfg, o.logger);
    const identity = o.dev ? withDevIssuers(cfg, caUrl) : (cfg as IdentityConfig);
    const verifier = createTokenVerifier(identity, { clock, observer: metrics, ...(baseDir ? { baseDir } : {}) });
    return { identity, verifier, ...(o.enableExplain ? { explain: explainRouter({ identity, verifier, logger: o.logger, ...(o.rateLimit?.defaults ? { rateLimitDefaults: o.rateLimit.defaults } : {}) }) } : {}) };
  };
  let holder: ReturnType<typeof createIdentityHolder>;
  try {
    holder = createIdentityHolder({
      ...(o.configPath ? { configPath: o.configPath } : {}),
      ...(o.identity ? { initial: o.identity } : {}),
      build,
      logger: o.logger,
    });
  } catch (e) {
    await caListening.close();
    await companion?.close();
    await closeAll(opened);
    throw e;
  }
  // The issuing CA's key is owned by the CA holder from here on: a reload swaps it and closes the old one.
  if (caOpened) opened.splice(opened.indexOf(caOpened), 1);
  const generation = (iss: IssuingCa, k: KeyMaterial, key: ClosableSigner | undefined): CaGeneration => ({
    ca: createCertificateAuthority(iss, { clock }),
    trustChains: trustChainsOf(k),
    close: async () => {
      await key?.close().catch(() => undefined);
    },
  });
  const cas = createCaHolder(generation(issuing, keys, caOpened));
  /** Re-reads the keys directory; a new active CA (ca rotate) is opened, checked and swapped in. */
  const reloadCa = async (): Promise<boolean> => {
    if (o.caSigner) return false; // an injected signer is not the keys directory's
    const next = readKeys(o);
    const now = cas.current();
    if (next.caChain[0]!.equals(now.ca.chain[0] as Buffer) && next.retired.length === now.trustChains.length - 1) return false;
    const missingRoot = rootsOf(next).find((r) => !ctRoots.some((c) => c.equals(r)));
    if ((companion || o.sharedLog) && missingRoot)
      throw new KeyError(`the new CA chain ends in a root the companion CT log does not accept (${new X509Certificate(missingRoot).subject.replace(/\n/g, ', ')}): restart the server to accept it`);
    const { issuing: nextIssuing, opened: nextKey } = await openIssuingCa(o, next, clock());
    await cas.swap(generation(nextIssuing, next, nextKey));
    o.logger.log('info', 'issuing CA reloaded', { dir: o.keysDir, caChain: next.caChain.length, retiredCas: next.retired.length });
    return true;
  };
  // Rate-limit refusals and shared-store failures are counted (the caller's own observer, if any, is told too).
  const rateLimitObserver = o.rateLimit?.observer;
  const rateLimitOptions: RateLimitOptions = {
    ...o.rateLimit,
    observer: {
      limited: (scope) => (metrics.rateLimited(scope), rateLimitObserver?.limited?.(scope)),
      storeFailed: (e) => (metrics.rateLimitStoreFailed(), rateLimitObserver?.storeFailed?.(e)),
    },
  };
  const limiter = await openRateLimiter(rateLimitOptions, clock, o.logger).catch(async (e: unknown) => {
    await caListening.close();
    await companion?.close();
    await closeAll(opened);
    await cas.close();
    throw e;
  });
  let audit: AuditLog | undefined;
  try {
    if (o.sharedAudit) audit = o.sharedAudit;
    else if (o.auditLog !== undefined) audit = await openAuditLog(o.auditLog, { logger: o.logger, observer: metrics });
  } catch (e) {
    await caListening.close();
    await companion?.close();
    await closeAll(opened);
    await cas.close();
    await limiter.close();
    throw new Error(`--audit-log ${o.auditLog}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const signing = createSigningService({
    metrics,
    rateLimits: { limiter, defaults: o.rateLimit?.defaults ?? {} },
    verifier: holder.verifier,
    ca: cas,
    // The companion log in this process is handed the chain directly (and gives the entry's index; its key was checked
    // against ctlog.pub.pem at start). An external log is reached over HTTP and its SCTs are verified with the key given.
    ct: companion ? companionSctSource(companion.log, metrics) : o.sharedLog ? companionSctSource(o.sharedLog, metrics) : sctSource(createCtClient({ url: ctUrl, logPublicKeySpki: ctKeySpki, ...(o.ctLogOrigin ? { host: o.ctLogOrigin } : {}) }), metrics),
    logger: o.logger,
    ...(audit ? { audit } : {}),
  });
  if (o.enableExplain) {
    const explain = express.Router();
    explain.use((req, res, next) => {
      const current = holder.current().explain;
      if (current) current(req, res, next);
      else next();
    });
    extraRouters.push(['/api/v2', explain]);
  }
  const identity = () => holder.current().identity;
  const serving = () => !caListening.closing;
  caListening.server.on(
    'request',
    createApp({ signing, metrics, serving, caChain: () => cas.current().trustChains, identity, logger: o.logger, extraRouters, trustProxy: o.trustProxy ?? 0, ...(audit ? { audit } : {}), ...(o.signingRoutes ? { signingRoutes: o.signingRoutes } : {}) }),
  );
  o.logger.log('info', 'listening', { ca: caUrl, ct: ctUrl, dev: o.dev, ...(audit ? { auditLog: audit.target } : {}) });
  return {
    caUrl,
    ctUrl,
    ...(devOidcKey ? { devOidcKey } : {}),
    get caChain() {
      return cas.current().ca.chain as Buffer[];
    },
    ctLogSpki: ctKeySpki,
    ...(keys.tsa ? { tsaChain: keys.tsa.chain } : {}),
    async reload() {
      const tlsReloaded = reloadTls(o.logger, [
        ['CA', caListening],
        ['CT log', companion],
      ]);
      let caReloaded: boolean;
      try {
        caReloaded = await reloadCa();
      } catch (e) {
        o.logger.log('error', 'issuing CA reload rejected; keeping the current CA', { dir: o.keysDir, error: e instanceof Error ? e.message : String(e) });
        throw new Error(`issuing CA reload rejected (the current CA stays): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (o.configPath) return { ...(await holder.reload()), caReloaded, tlsReloaded };
      const { identity: id } = holder.current();
      return { issuers: id.oidcIssuers.size, metaIssuers: id.metaIssuers.length, warnings: [], caReloaded, tlsReloaded };
    },
    async close(options = {}) {
      const drainMs = options.drainMs ?? o.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
      const deadline = Date.now() + drainMs;
      await caListening.close({ drainMs, atDeadline: shuttingDown });
      // The log's own listener gets what is left of the same deadline.
      await companion?.close({ drainMs: Math.max(0, deadline - Date.now()) });
      // Signatures in flight have finished with the requests; the keys (PKCS#11 sessions) are let go last.
      await closeAll(opened);
      await cas.close();
      await limiter.close();
      // Every request has finished: its audit line is written (or was refused with its request).
      await audit?.close();
    },
    reopenAuditLog() {
      audit?.reopen();
    },
  };
}
