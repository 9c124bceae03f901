// DER <-> PEM. PEM is emitted with 64-column lines and a trailing newline.
import { decodeBase64 } from './base64.js';

export const toPem = (der: Uint8Array, label: string): string => `${pemBlock(der, label, '\n')}\n`;

/**
 * The PEM block with no trailing newline and `eol` between its lines: '\n', or the two characters `\n` to write it
 * straight into a JSON string (of what a PEM holds, JSON escapes only the line feed).
 */
export function pemBlock(der: Uint8Array, label: string, eol: string): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let body = b64.slice(0, 64);
  for (let i = 64; i < b64.length; i += 64) body += eol + b64.slice(i, i + 64);
  return `-----BEGIN ${label}-----${eol}${body}${eol}-----END ${label}-----`;
}

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Base64 bodies must be well formed. */
export function parsePemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = (m[2] as string).replace(/\s+/g, '');
    const der = decodeBase64(body);
    if (der === undefined) throw new Error(`malformed PEM ${m[1]} body`);
    out.push({ label: m[1] as string, der });
  }
  return out;
}

export const certToPem = (der: Uint8Array): string => toPem(der, 'CERTIFICATE');
