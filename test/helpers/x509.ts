// Independent certificate parsing for tests: @peculiar/x509 (not our DER code) reads what the CA wrote.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { Crypto } from '@peculiar/webcrypto';

x509.cryptoProvider.set(new Crypto() as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export const FULCIO = '1.3.6.1.4.1.57264.1';

/** Value of a Fulcio extension: raw string for .1-.6, decoded UTF8String for .8+ (asserting the tag). */
export function fulcioExtension(cert: x509.X509Certificate, arc: number): string | undefined {
  const ext = cert.getExtension(`${FULCIO}.${arc}`);
  if (!ext) return undefined;
  const v = Buffer.from(ext.value);
  if (arc < 8) return v.toString('utf8');
  if (v[0] !== 0x0c) throw new Error(`extension .${arc} is not a UTF8String`);
  let len = v[1] as number;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (v[2 + i] as number);
    off += n;
  }
  if (off + len !== v.length) throw new Error(`extension .${arc} has trailing bytes`);
  return v.subarray(off).toString('utf8');
}

/** Every Fulcio extension present, by arc. */
export function fulcioExtensions(cert: x509.X509Certificate): Record<number, string> {
  const out: Record<number, string> = {};
  for (let arc = 1; arc <= 24; arc++) {
    if (arc === 7) continue;
    const v = fulcioExtension(cert, arc);
    if (v !== undefined) out[arc] = v;
  }
  return out;
}
