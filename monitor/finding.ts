// What the identity monitor reports, one JSON object per finding (a line on stdout, the body of a webhook POST).
import type { EntryIdentity } from '../ct/entry-identity.js';
import type { TreeHead } from '../ct/index.js';
import type { FieldMatch } from './rules.js';

/** A logged certificate a watch rule reports. */
export interface CertificateFinding {
  readonly kind: 'certificate';
  readonly rule: string;
  readonly log: string;
  readonly index: number;
  /** The first SAN (Fulcio certificates have one); every SAN is in `sans`. */
  readonly san: string | null;
  readonly sans: readonly string[];
  readonly issuer: string | null;
  /** Each `match` field of the rule: the certificate's value and the pattern it matched. */
  readonly matched: Readonly<Record<string, FieldMatch>>;
  readonly precert: boolean;
  /** The entry's SCT timestamp, ms since the epoch, and as ISO 8601. */
  readonly timestamp: number;
  readonly time: string;
  readonly serial: string;
  readonly notBefore: string;
  /** Every Fulcio extension the certificate carries, by field name. */
  readonly extensions: Readonly<Record<string, string>>;
}

export interface SthSummary {
  readonly treeSize: number;
  readonly timestamp: number;
  readonly rootHash: string;
}

/** The log contradicted what the monitor verified before: a fork, a rewind, or entries its signed root does not cover. */
export interface InconsistencyFinding {
  readonly kind: 'log_inconsistent';
  readonly log: string;
  readonly reason: 'fork' | 'rewind' | 'entries_mismatch';
  readonly detail: string;
  /** The last STH the monitor verified, and the one the log serves now. */
  readonly verified: SthSummary;
  readonly current: SthSummary;
}

export type Finding = CertificateFinding | InconsistencyFinding;

export const sthSummary = (s: TreeHead): SthSummary => ({ treeSize: s.treeSize, timestamp: s.timestamp, rootHash: s.rootHash.toString('base64') });

export function certificateFinding(o: { rule: string; log: string; index: number; entry: EntryIdentity; matched: Record<string, FieldMatch> }): CertificateFinding {
  const id = o.entry.identity;
  return {
    kind: 'certificate',
    rule: o.rule,
    log: o.log,
    index: o.index,
    san: id.san ?? null,
    sans: id.sans.map((s) => s.value),
    issuer: id.issuer ?? null,
    matched: o.matched,
    precert: o.entry.precert,
    timestamp: o.entry.timestamp,
    time: new Date(o.entry.timestamp).toISOString(),
    serial: id.serial,
    notBefore: id.notBefore.toISOString(),
    extensions: { ...id.extensions },
  };
}
