// The messages between the cluster primary (server/cluster.ts), which owns the companion CT log, and its CA workers
// (server/cluster-worker.ts). They travel over cluster's IPC channel with `serialization: 'advanced'` (structured
// clone: Buffers arrive as Uint8Arrays). Every message carries `fulgor` (its kind) so that others are ignored.
import type { Registry } from 'prom-client';
import type { Sct } from '../ct/structures.js';
import type { AuditRecord } from './audit-log.js';
import type { BucketCheck, LimitResult } from './rate-limiter.js';
import { asBuffer } from '../lib/thread-bytes.js';

/** A worker is listening for messages (sent first: a message sent before would be lost). */
export interface HelloMessage {
  readonly fulgor: 'hello';
}

/** The answer to hello: the primary's companion log (its URL, key and roots), or none with an external log. */
export interface InitMessage {
  readonly fulgor: 'init';
  readonly log?: { readonly url: string; readonly spki: Uint8Array; readonly roots: Uint8Array[] };
}

/** A worker asks the primary to log a precertificate chain; `id` pairs the answer. */
export interface SubmitMessage {
  readonly fulgor: 'submit';
  readonly id: number;
  readonly chain: Uint8Array[];
}

/** The primary's answer: the SCT once the entry is durable, or the log's error (its HTTP status and message). */
export type SctMessage =
  | {
      readonly fulgor: 'sct';
      readonly id: number;
      readonly index: number;
      readonly sct: WireSct;
    }
  | { readonly fulgor: 'sct'; readonly id: number; readonly status: number; readonly message: string };

/** A worker's audit line for the primary's audit log (the one writer); `id` pairs the answer. */
export interface AuditMessage {
  readonly fulgor: 'audit';
  readonly id: number;
  readonly record: AuditRecord;
}

/** The line is durable (fsynced), or `error` says why it is not. */
export interface AuditedMessage {
  readonly fulgor: 'audited';
  readonly id: number;
  readonly error?: string;
}

/** A worker's GET /metrics: the primary gathers every worker's and its own, sums them (prom-client's AggregatorRegistry.aggregate) and answers. */
export interface MetricsMessage {
  readonly fulgor: 'metrics';
  readonly id: number;
}

/** Every worker's metrics summed, in Prometheus's text format (or why not). */
export interface MetricsTextMessage {
  readonly fulgor: 'metricsText';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** The primary asks each worker for its own metrics (to sum them with its own, the audit log's). */
export interface GatherMessage {
  readonly fulgor: 'gather';
  readonly id: number;
}

/** A worker's own metrics, as prom-client's Registry.getMetricsAsJSON() gives them. */
export interface GatheredMessage {
  readonly fulgor: 'gathered';
  readonly id: number;
  readonly metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
}

/** A worker's rate-limit check, against the primary's memory buckets (one budget for the whole server). */
export interface RateMessage {
  readonly fulgor: 'rate';
  readonly id: number;
  readonly buckets: readonly BucketCheck[];
}

/** The primary's verdict (or why it could not give one). */
export interface RatedMessage {
  readonly fulgor: 'rated';
  readonly id: number;
  readonly result?: LimitResult;
  readonly error?: string;
}

/** A worker listens and issues (its CA URL, the same for every worker: they share the port). */
export interface ReadyMessage {
  readonly fulgor: 'ready';
  readonly caUrl: string;
}

/** The primary's orders: reload (SIGHUP), or drain and exit (SIGTERM). */
export type ControlMessage = { readonly fulgor: 'reload' } | { readonly fulgor: 'stop'; readonly drainMs: number };

export type ToWorker = InitMessage | SctMessage | AuditedMessage | MetricsTextMessage | GatherMessage | RatedMessage | ControlMessage;
export type ToPrimary = HelloMessage | SubmitMessage | AuditMessage | MetricsMessage | GatheredMessage | RateMessage | ReadyMessage;

/** Several messages sent during one turn of the sender's event loop, in order (server/cluster-mailbox.ts). */
export interface BatchMessage {
  readonly fulgor: 'batch';
  readonly messages: ReadonlyArray<ToWorker | ToPrimary>;
}

/** An SCT as it crosses to another process or thread (its fields; Buffers arrive as Uint8Arrays). */
export type WireSct = { readonly logId: Uint8Array; readonly timestamp: number; readonly extensions: Uint8Array; readonly signature: Uint8Array };

export const toWireSct = (sct: Sct): WireSct => ({ logId: sct.logId, timestamp: sct.timestamp, extensions: sct.extensions, signature: sct.signature });

export const fromWireSct = (w: WireSct): Sct => ({ version: 0, logId: asBuffer(w.logId), timestamp: w.timestamp, extensions: asBuffer(w.extensions), signature: asBuffer(w.signature) });

/** `m` is one of Fulgor's cluster messages of kind `kind`. */
export function isMessage<K extends (ToWorker | ToPrimary | BatchMessage)['fulgor']>(m: unknown, kind: K): m is Extract<ToWorker | ToPrimary | BatchMessage, { fulgor: K }> {
  return typeof m === 'object' && m !== null && (m as { fulgor?: unknown }).fulgor === kind;
}
