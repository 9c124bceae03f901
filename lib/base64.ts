// The one strict base64 check. Node's Buffer.from(s, 'base64') never fails: it skips what it cannot read, so every
// input is checked here first.

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
/** protobuf-JSON `bytes`: standard or URL-safe alphabet, padded or not. */
const ANY_ALPHABET = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface Base64Options {
  /**
   * `strict` (default): standard alphabet, padded to a multiple of 4 (RFC 6962 JSON, PEM bodies).
   * `protobuf`: standard or URL-safe alphabet, padding optional (protobuf-JSON `bytes`).
   */
  readonly form?: 'strict' | 'protobuf';
}

/** Whether `text` is base64 in the given form. */
export function isBase64(text: string, { form = 'strict' }: Base64Options = {}): boolean {
  return form === 'strict' ? STANDARD.test(text) && text.length % 4 === 0 : ANY_ALPHABET.test(text);
}

/** The bytes `text` encodes, or undefined when it is not base64 in the given form. */
export function decodeBase64(text: string, opts: Base64Options = {}): Buffer | undefined {
  if (!isBase64(text, opts)) return undefined;
  return Buffer.from(opts.form === 'protobuf' ? text.replace(/-/g, '+').replace(/_/g, '/') : text, 'base64');
}
