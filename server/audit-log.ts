// The audit log (`fulgor serve --audit-log FILE|-`): one JSON object per line per signing decision (issued, refused,
// policy_denied, rate_limited), never the token. Lines are written in batches (group commit: lines that arrive while
// a batch is being written form the next one), each batch appended and fdatasync'ed once. An `issued` line is durable
// before the certificate is returned (signing-service.ts awaits it): a certificate whose audit line could be lost is
// never handed out. Refusal lines are written the same way, without holding the answer. reopen() (SIGUSR1) closes the
// file after the batch being written and opens the path again, for logrotate's rename-then-signal; `-` writes to
// stdout (no fsync: a pipe's durability is its reader's).
import { hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { batcher } from '../lib/batcher.js';
import type { ReasonCode } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

export type AuditEvent = 'issued' | 'refused' | 'policy_denied' | 'rate_limited';

/** What a signing request has established so far; filled in as it goes (signing-service.ts), read for its line. */
export interface AuditFacts {
  /** The verified issuer URL; before verification, the token's unverified `iss` (then issuerVerified is false). */
  issuer?: string;
  issuerVerified?: boolean;
  san?: string;
  /** The Fulcio extension values the certificate carries, by field name (lib/fulcio-extensions.ts). */
  claims?: Readonly<Record<string, string>>;
  publicKeyFingerprint?: string;
  publicKeyAlgorithm?: string;
  serial?: string;
  fingerprint?: string;
  ctIndex?: number | null;
  sctTimestamp?: number;
}

/** One line of the audit log. Every field is always present (null when not known), so consumers see one shape. */
export interface AuditRecord {
  readonly time: string;
  readonly event: AuditEvent;
  readonly request_id: string;
  readonly outcome: 'success' | 'failure';
  readonly reason: ReasonCode | null;
  readonly remote_address: string | null;
  readonly issuer: string | null;
  readonly issuer_verified: boolean;
  readonly san: string | null;
  readonly claims: Readonly<Record<string, string>> | null;
  readonly serial: string | null;
  readonly fingerprint: string | null;
  readonly public_key_fingerprint: string | null;
  readonly public_key_algorithm: string | null;
  readonly ct_index: number | null;
  readonly sct_timestamp: number | null;
}

/** The event a refusal's reason code is recorded as. */
export function eventFor(reason: string): AuditEvent {
  if (reason === 'POLICY_DENIED') return 'policy_denied';
  if (reason === 'RATE_LIMITED') return 'rate_limited';
  return 'refused';
}

export const sha256Hex = (der: Buffer): string => hash('sha256', der, 'hex');

export function auditRecord(
  o: { requestId: string; remoteAddress?: string; facts: AuditFacts; reason?: ReasonCode },
  now: Date = new Date(),
): AuditRecord {
  const f = o.facts;
  return {
    time: now.toISOString(),
    event: o.reason === undefined ? 'issued' : eventFor(o.reason),
    request_id: o.requestId,
    outcome: o.reason === undefined ? 'success' : 'failure',
    reason: o.reason ?? null,
    remote_address: o.remoteAddress ?? null,
    issuer: f.issuer ?? null,
    issuer_verified: f.issuerVerified ?? false,
    san: f.san ?? null,
    claims: f.claims ?? null,
    serial: f.serial ?? null,
    fingerprint: f.fingerprint ?? null,
    public_key_fingerprint: f.publicKeyFingerprint ?? null,
    public_key_algorithm: f.publicKeyAlgorithm ?? null,
    ct_index: f.ctIndex ?? null,
    sct_timestamp: f.sctTimestamp ?? null,
  };
}

export interface AuditSink {
  /** Resolves once the line is written (and fsynced, for a file); rejects when it could not be. */
  write(record: AuditRecord): Promise<void>;
}

export interface AuditLog extends AuditSink {
  readonly target: string;
  /** Opens the path again after the batch being written (log rotation); a failure is logged and the old file kept. */
  reopen(): void;
  /** Writes what is pending, then closes the file. */
  close(): Promise<void>;
}

export interface AuditLogOptions {
  readonly logger: Logger;
  /** Told of every batch: its size, how long the write and fsync took, and whether it failed. */
  readonly observer?: { auditBatch(lines: number, seconds: number, failed: boolean): void };
  /** Where `-` writes (default process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
}

const openAppend = (path: string): Promise<FileHandle> => open(path, 'a', 0o640);

/** Opens `target` (a path, or `-` for stdout) for appending; a file that cannot be opened is an error now, not later. */
export async function openAuditLog(target: string, o: AuditLogOptions): Promise<AuditLog> {
  const toStdout = target === '-';
  let file = toStdout ? undefined : await openAppend(target);
  let reopenRequested = false;
  let closed = false;
  const stdout = o.stdout ?? process.stdout;

  async function rotateIfAsked(): Promise<void> {
    if (!reopenRequested || file === undefined) return;
    reopenRequested = false;
    try {
      const next = await openAppend(target);
      const old = file;
      file = next;
      await old.close().catch(() => undefined);
      o.logger.log('info', 'audit log reopened', { path: target });
    } catch (e) {
      o.logger.log('error', 'audit log could not be reopened; writing on to the open file', { path: target, error: e instanceof Error ? e.message : String(e) });
    }
  }

  const flush = batcher<string, void>(async (lines) => {
    const started = process.hrtime.bigint();
    const data = lines.join('');
    const written = lines.filter((l) => l !== '').length; // reopen()'s empty batch entry is no line
    try {
      if (closed) throw new Error('the audit log is closed');
      await rotateIfAsked();
      if (file === undefined) {
        await new Promise<void>((resolve, reject) => stdout.write(data, (e) => (e ? reject(e) : resolve())));
      } else {
        await file.appendFile(data);
        await file.datasync();
      }
    } catch (e) {
      o.observer?.auditBatch(written, 0, true);
      o.logger.log('error', 'audit log write failed', { path: target, lines: written, error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    o.observer?.auditBatch(written, Number(process.hrtime.bigint() - started) / 1e9, false);
    return lines.map(() => undefined);
  });

  const pending = new Set<Promise<void>>();
  const tracked = (p: Promise<void>): Promise<void> => {
    pending.add(p);
    const forget = () => void pending.delete(p);
    p.then(forget, forget);
    return p;
  };
  return {
    target,
    write: (record) => tracked(flush(JSON.stringify(record) + '\n')),
    reopen() {
      reopenRequested = true;
      // An empty batch: the file is reopened now, in turn with the writes, even when no line is waiting.
      tracked(flush('')).catch(() => undefined);
    },
    async close() {
      await Promise.allSettled([...pending]);
      closed = true;
      await file?.close();
      file = undefined;
    },
  };
}
