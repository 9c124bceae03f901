// SIGHUP for the listeners' TLS: each listener re-reads its certificate and key files (lib/listen.ts); a changed
// pair is served to new connections and logged with its serial, a bad one is logged and the current one stays.
import { X509Certificate } from 'node:crypto';
import type { Listening } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';

/** Re-reads each named listener's TLS files; returns the names of those that now serve a new pair. */
export function reloadTls(logger: Logger, listeners: Array<[string, Pick<Listening, 'reloadTls' | 'certificate'> | undefined]>): string[] {
  const reloaded: string[] = [];
  for (const [name, l] of listeners) {
    if (!l) continue;
    try {
      if (!l.reloadTls()) continue;
      reloaded.push(name);
      const cert = l.certificate();
      logger.log('info', 'TLS certificate reloaded', { listener: name, ...(cert ? { serial: new X509Certificate(cert).serialNumber } : {}) });
    } catch (e) {
      logger.log('error', 'TLS certificate reload rejected; keeping the current one', { listener: name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return reloaded;
}
