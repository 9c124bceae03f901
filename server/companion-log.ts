// The companion CT log of `fulgor serve` and `fulgor ct serve`: its key opened and checked against ctlog.pub.pem, its
// store (checked against the last STH), the log, its HTTP listener, search index and /ui/. It runs where the caller
// puts it: the serving process (with an injected clock), the log thread of one process (server/log-thread.ts), or
// the cluster primary (server/cluster.ts). Nothing here reaches the CA.
import { join } from 'node:path';
import { KEY_FILES, type KeyMaterial } from '../config/keys-dir.js';
import { createLog, type CtLog } from '../ct/index.js';
import { listenLog } from '../ct/listen.js';
import { createLogMetrics } from '../ct/metrics.js';
import { describeStorage, openStore } from '../ct/open-store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { TlsFiles } from '../lib/tls-files.js';
import type { Signer } from '../lib/signer.js';
import { defaultSearchIndex, startCompanionSearch, type CompanionSearch } from '../search/index.js';
import { KeyError, type ClosableSigner } from '../signer/index.js';
import { uiRouter } from '../ui/index.js';
import { checkPublicKeyMatches, keyOpeningOf, openKey } from './open-keys.js';

/** What the companion log takes from `fulgor serve`'s options. */
export interface CompanionLogOptions {
  readonly host: string;
  readonly ctPort: number;
  readonly keysDir: string;
  /** Companion log storage: `memory`, `file:DIR` (default `file:ct-data`) or `redis://...`. */
  readonly ctStorage?: string;
  readonly ctRedisPrefix?: string;
  /** Companion log URL prefix (`/<prefix>/ct/v1/...`). */
  readonly ctPrefix?: string;
  /** The companion log's search index (`GET /api/v1/search`): `memory`, `off` or a file; default search/companion.ts defaultSearchIndex. */
  readonly searchIndex?: string;
  /** --ct-tls-cert-file / --ct-tls-key-file: serve the companion CT log over HTTPS (reloaded by reload()). */
  readonly ctTls?: TlsFiles;
  readonly logger: Logger;
  /** --key-passphrase-file: the passphrase of encrypted key files (else FULGOR_KEY_PASSPHRASE). */
  readonly keyPassphraseFile?: string;
  /** --strict-key-permissions: key files readable by others stop the start instead of a warning. */
  readonly strictKeyPermissions?: boolean;
  /** Where FULGOR_KEY_PASSPHRASE and the PKCS#11 variables are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Leaf signatures verified on a thread of the log's own (ct/log.ts `leafSignaturesOnThread`): `fulgor ct serve`
   * sets it where the process has more than one core; in `serve` the CA's threads use that core. Default false.
   */
  readonly leafSignaturesOnThread?: boolean;
}

/** The companion log as the CA sees it when another thread (server/log-thread.ts) or process (the cluster primary, server/cluster-worker.ts) runs it. */
export interface SharedLog extends Pick<CtLog, 'submitPreChain'> {
  readonly url: string;
  /** The log's public key (DER SPKI), checked by the primary against ctlog.pub.pem. */
  readonly spki: Buffer;
  /** How its key is held (for the start-up `keys` line), when the log's runner says. */
  readonly keyDescription?: string;
  /** The roots the log accepts: a CA reload to a chain ending elsewhere is refused, as with the in-process log. */
  readonly roots: Buffer[];
}

/** The companion CT log: its store (checked against the last STH), the log, and its HTTP listener. */
export async function startCompanionLog(
  o: Pick<CompanionLogOptions, 'host' | 'ctPort' | 'ctStorage' | 'ctRedisPrefix' | 'ctPrefix' | 'searchIndex' | 'logger' | 'ctTls' | 'leafSignaturesOnThread'>,
  signer: Signer,
  roots: Buffer[],
  clock: Clock,
) {
  const storage = o.ctStorage ?? 'file:ct-data';
  const store = await openStore({ storage, logger: o.logger, ...(o.ctRedisPrefix ? { redisPrefix: o.ctRedisPrefix } : {}) });
  let search: CompanionSearch | undefined;
  try {
    const metrics = createLogMetrics(clock);
    const log = createLog({ signer, roots, store, clock, logger: o.logger, observer: metrics.observer, leafSignaturesOnThread: o.leafSignaturesOnThread ?? false });
    metrics.bind(() => log.status());
    await log.selfCheck();
    const index = o.searchIndex ?? defaultSearchIndex(storage);
    search = index === 'off' ? undefined : await startCompanionSearch({ log, store, index, logger: o.logger });
    // Beside the log's endpoints: search (unless off) and the web page (`<prefix>/ui/`).
    const routers = [...(search ? [search.router] : []), uiRouter({ logger: o.logger })];
    const listening = await listenLog(log, {
      host: o.host,
      port: o.ctPort,
      logger: o.logger,
      metrics,
      routers,
      ...(o.ctPrefix ? { prefix: o.ctPrefix } : {}),
      ...(o.ctTls ? { tls: o.ctTls } : {}),
    });
    o.logger.log('info', 'CT log ready', { url: listening.url, storage: describeStorage(storage), size: await store.size(), searchIndex: index });
    const searching = search;
    return {
      url: listening.url,
      log,
      reloadTls: listening.reloadTls,
      certificate: listening.certificate,
      /** Stops accepting, lets in-flight submissions finish (503 after drainMs), then closes the search index and the store. */
      async close(options: { drainMs?: number } = {}) {
        await listening.close(options);
        await searching?.close();
        await store.close();
      },
    };
  } catch (e) {
    await search?.close();
    await store.close();
    throw e;
  }
}

/** Opens the companion CT log's key and checks it against ctlog.pub.pem. */
export async function openCtSigner(o: CompanionLogOptions, keys: Pick<KeyMaterial, 'ctKey' | 'ctPublicKey'>): Promise<ClosableSigner> {
  if (!keys.ctKey)
    throw new KeyError(`missing ${join(o.keysDir, KEY_FILES.ctKey)} (the companion CT log's key; or give --ct-log-key URI, or --ct-log-url for an external log)`);
  const signer = await openKey(keys.ctKey, 'CT log', keyOpeningOf(o));
  try {
    checkPublicKeyMatches(signer, keys.ctPublicKey, join(o.keysDir, KEY_FILES.ctPub), 'CT log');
  } catch (e) {
    await signer.close().catch(() => undefined);
    throw e;
  }
  return signer;
}

/** The companion log with its own key (opened and checked here, closed with it), accepting chains to `roots`. */
export async function openCompanionLog(o: CompanionLogOptions, keys: Pick<KeyMaterial, 'ctKey' | 'ctPublicKey'>, roots: Buffer[], clock: Clock) {
  const signer = await openCtSigner(o, keys);
  const companion = await startCompanionLog(o, signer, roots, clock).catch(async (e: unknown) => {
    await signer.close().catch(() => undefined);
    throw e;
  });
  return {
    companion,
    roots,
    spki: signer.spki,
    keyDescription: signer.description,
    async close(options: { drainMs?: number } = {}) {
      await companion.close(options);
      await signer.close().catch(() => undefined);
    },
  };
}
