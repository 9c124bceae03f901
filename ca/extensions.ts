// Fulcio's OID extensions (1.3.6.1.4.1.57264.1.x) in DER: the one place that encodes them, reading the table in
// lib/fulcio-extensions.ts (numbers, names, encodings, fields). .1-.6 carry raw string bytes (no ASN.1 tag); .8 and
// above carry a DER UTF8String. Empty values are left out.
import { utf8String } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import { FULCIO_EXTENSIONS, type FulcioExtensionValues } from '../lib/fulcio-extensions.js';
import { extension } from './extension.js';

function checkValue(field: string, value: string): void {
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) throw new FulgorError('INVALID_CLAIM', `extension ${field} is not valid UTF-8`);
}

/** Renders the DER Extensions for `values`, in Fulcio's order: .1, .2-.6, .8, .9-.24. */
export function renderFulcioExtensions(values: FulcioExtensionValues): Buffer[] {
  if (!values.issuer) throw new FulgorError('MISSING_CLAIM', 'the certificate needs an issuer', { metadata: { claim: 'iss' } });
  const out: Buffer[] = [];
  for (const { oid, field, encoding } of FULCIO_EXTENSIONS) {
    const v = values[field];
    if (!v) continue;
    checkValue(field, v);
    out.push(extension(oid, encoding === 'raw' ? Buffer.from(v, 'utf8') : utf8String(v)));
  }
  return out;
}
