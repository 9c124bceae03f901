// The certificate contents `explain` reports: the SAN and every Fulcio extension (OID, name, value) a Principal
// would be written with, in the order the CA writes them (lib/fulcio-extensions.ts): .1, .2-.6, .8, then .9-.24.
import { FULCIO_EXTENSIONS, OTHERNAME_USERNAME_OID } from '../lib/fulcio-extensions.js';
import type { FulcioExtensionValues, SubjectAltName } from './principal.js';

export interface ExplainedExtension {
  /** e.g. `1.3.6.1.4.1.57264.1.12` */
  readonly oid: string;
  /** Fulcio's name for it, e.g. `Source Repository URI`. */
  readonly name: string;
  readonly value: string;
  /** `raw` (.1-.6: the string's bytes, no ASN.1 tag) or `utf8String` (.8 and up: DER UTF8String). */
  readonly encoding: 'raw' | 'utf8String';
}

export interface ExplainedSan {
  /** `uri`, `email`, or `otherName` (Fulcio's username identity). */
  readonly type: SubjectAltName['kind'];
  readonly value: string;
  /** The otherName type-id, for `otherName` only. */
  readonly oid?: string;
}

/** Every extension the certificate would carry; empty values are left out, as the CA leaves them out. */
export function explainExtensions(values: FulcioExtensionValues): ExplainedExtension[] {
  const out: ExplainedExtension[] = [];
  for (const { oid, name, field, encoding } of FULCIO_EXTENSIONS) {
    const value = values[field];
    if (typeof value !== 'string' || value === '') continue;
    out.push({ oid, name, value, encoding });
  }
  return out;
}

export function explainSan(san: SubjectAltName): ExplainedSan {
  return san.kind === 'otherName' ? { type: san.kind, value: san.value, oid: OTHERNAME_USERNAME_OID } : { type: san.kind, value: san.value };
}
