// Fulcio's OID extensions (1.3.6.1.4.1.57264.1.x) in DER: the one place that encodes them, reading the table in
// lib/fulcio-extensions.ts (numbers, names, encodings, fields). .1-.6 carry raw string bytes (no ASN.1 tag); .8 and
// above carry a DER UTF8String. Empty values are left out.
import { utf8String } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import { FULCIO_EXTENSIONS, type FulcioEncoding, type FulcioExtensionValues } from '../lib/fulcio-extensions.js';
import { extension } from './extension.js';

/** One Fulcio extension as the certificate carries it, before encoding. */
export interface FulcioExtensionEntry {
  /** e.g. `1.3.6.1.4.1.57264.1.12` */
  readonly oid: string;
  /** Fulcio's name for it, e.g. `Source Repository URI`. */
  readonly name: string;
  readonly value: string;
  /** `raw` (.1-.6: the string's bytes, no ASN.1 tag) or `utf8String` (.8 and up: DER UTF8String). */
  readonly encoding: FulcioEncoding;
}

const ISSUER_OID = FULCIO_EXTENSIONS[0]?.oid;

/** A lone surrogate: the one thing a JavaScript string holds that UTF-8 cannot (paired ones are one code point here). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** The extensions `values` gives, in Fulcio's order (.1, .2-.6, .8, .9-.24); empty values are left out. */
export function describeFulcioExtensions(values: FulcioExtensionValues): FulcioExtensionEntry[] {
  const out: FulcioExtensionEntry[] = [];
  for (const { oid, name, field, encoding } of FULCIO_EXTENSIONS) {
    const value = values[field];
    if (typeof value !== 'string' || value === '') continue;
    out.push({ oid, name, value, encoding });
  }
  return out;
}

/** DER Extensions for described entries, in their order; throws when there is no issuer or a value is not UTF-8. */
export function encodeFulcioExtensions(entries: readonly FulcioExtensionEntry[]): Buffer[] {
  if (!entries.some((e) => e.oid === ISSUER_OID)) {
    throw new FulgorError('MISSING_CLAIM', 'the certificate needs an issuer', { metadata: { claim: 'iss' } });
  }
  return entries.map(({ oid, value, encoding }) => {
    if (LONE_SURROGATE.test(value)) {
      const field = FULCIO_EXTENSIONS.find((r) => r.oid === oid)?.field ?? oid;
      throw new FulgorError('INVALID_CLAIM', `extension ${field} is not valid UTF-8`);
    }
    return extension(oid, encoding === 'raw' ? Buffer.from(value, 'utf8') : utf8String(value));
  });
}

/** Renders the DER Extensions for `values`, in Fulcio's order: .1, .2-.6, .8, .9-.24. */
export function renderFulcioExtensions(values: FulcioExtensionValues): Buffer[] {
  return encodeFulcioExtensions(describeFulcioExtensions(values));
}
