// What crosses between `fulgor serve`'s CA (the main thread) and its companion log's thread (server/log-thread.ts,
// server/log-thread-worker.ts). Each postMessage carries the messages of one turn of the event loop, as an array.
// Buffers arrive as Uint8Arrays (structured clone); asBuffer (lib/thread-bytes.ts) views them as Buffers.
import type { KeyMaterial } from '../config/keys-dir.js';
import type { LogLevel } from '../lib/log.js';
import type { WireSct } from './cluster-messages.js';
import type { CompanionLogOptions } from './companion-log.js';

/** The thread's start: the log's options (without the logger, which stays here), its key's location and its roots. */
export interface LogThreadData {
  readonly options: Omit<CompanionLogOptions, 'logger'>;
  /** The least level the CA's logger writes (lib/log.ts): lines below it are dropped in the thread, not sent. */
  readonly logLevel?: LogLevel;
  readonly keys: Pick<KeyMaterial, 'ctKey' | 'ctPublicKey'>;
  readonly roots: readonly Uint8Array[];
}

export type ToLogThread =
  | { readonly type: 'submit'; readonly id: number; readonly chain: readonly Uint8Array[] }
  | { readonly type: 'reloadTls'; readonly id: number }
  | { readonly type: 'close'; readonly id: number; readonly drainMs?: number };

export type FromLogThread =
  | { readonly type: 'ready'; readonly url: string; readonly spki: Uint8Array; readonly keyDescription: string }
  /** The log could not start; `keyError`: its key could not be opened or does not match (the CLI exits 2). */
  | { readonly type: 'failed'; readonly message: string; readonly keyError: boolean }
  | {
      readonly type: 'sct';
      readonly id: number;
      readonly index: number;
      readonly sct: WireSct;
    }
  /** The log refused the chain or could not store it: its CtError's status and message. */
  | { readonly type: 'refused'; readonly id: number; readonly status: number; readonly message: string }
  | { readonly type: 'tlsReloaded'; readonly id: number; readonly reloaded: boolean }
  | { readonly type: 'closed'; readonly id: number; readonly error?: string }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields?: Record<string, unknown> };
