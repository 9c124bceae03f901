// Key references: a plain path or `file:PATH` (a PKCS#8 PEM file, encrypted or not), or an RFC 7512 PKCS#11 URI
// (`pkcs11:token=fulgor;object=issuing-ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fulgor/pin`).
// Parsing is strict: an attribute Fulgor would ignore is an error naming it. A `pin-value` never appears in an error
// or in `display` (use pin-source or FULGOR_PKCS11_PIN instead: a PIN in a URI ends up in shell history and `ps`).
import { fileURLToPath } from 'node:url';
import { KeyError } from './errors.js';

export interface FileKeyRef {
  readonly kind: 'file';
  readonly path: string;
  /** The reference as given, safe to log. */
  readonly display: string;
}

export interface Pkcs11KeyRef {
  readonly kind: 'pkcs11';
  /** Token selection (CK_TOKEN_INFO label, serialNumber, manufacturerID, model): every given one must match. */
  readonly token?: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  /** Key selection: CKA_LABEL and/or CKA_ID (bytes; `id=%01%02` in the URI). At least one is present. */
  readonly object?: string;
  readonly id?: Buffer;
  /** Query attributes; the environment fills what is absent (FULGOR_PKCS11_MODULE, FULGOR_PKCS11_PIN) when opened. */
  readonly modulePath?: string;
  /** A file holding the PIN (`pin-source=file:/etc/fulgor/pin`, or an absolute path). */
  readonly pinFile?: string;
  /** Accepted as RFC 7512 allows, but discouraged. */
  readonly pinValue?: string;
  /** The URI with any pin-value masked, safe to log. */
  readonly display: string;
}

export type KeyRef = FileKeyRef | Pkcs11KeyRef;

const PATH_ATTRS = ['token', 'serial', 'manufacturer', 'model', 'object', 'id', 'type'] as const;
const QUERY_ATTRS = ['module-path', 'pin-source', 'pin-value'] as const;
const UNSUPPORTED: Record<string, string> = {
  'module-name': 'give the module file with module-path=/path/to/module.so',
  'slot-id': 'select the token with token= (its label) or serial=',
  'slot-description': 'select the token with token= (its label) or serial=',
  'slot-manufacturer': 'select the token with token= (its label) or serial=',
  'library-manufacturer': 'give the module file with module-path=',
  'library-description': 'give the module file with module-path=',
  'library-version': 'give the module file with module-path=',
};
// RFC 7512 §2.3: pk11-pchar and pk11-qchar (unreserved, the listed reserved characters, pct-encoded).
const PATH_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QUERY_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,;/?|]|%[0-9A-Fa-f]{2})*$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** The reference with any pin-value masked: what logs and errors may show. */
export const redactKeyUri = (uri: string): string => uri.replace(/([?&]pin-value=)[^&#]*/gi, '$1***');

export function parseKeyUri(uri: string): KeyRef {
  const display = redactKeyUri(uri);
  if (uri.length === 0) throw new KeyError('empty key reference');
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point of this check
  if (/[\s\x00-\x1f\x7f]/.test(uri)) throw new KeyError(`key reference ${JSON.stringify(display)} contains whitespace or control characters`);
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'pkcs11') return parsePkcs11(uri.slice('pkcs11:'.length), display);
  if (scheme === 'file') return { kind: 'file', path: fileTarget(uri, `key reference ${display}`), display };
  if (scheme !== undefined)
    throw new KeyError(
      `key reference ${JSON.stringify(display)}: unknown scheme "${scheme}:" (use a file path, file:PATH or a pkcs11: URI; ` +
        `a path that contains ":" is written file:PATH)`,
    );
  return { kind: 'file', path: uri, display };
}

/** `file:///abs` (a file URL, percent-decoded) or `file:PATH` (PATH taken as written). */
function fileTarget(value: string, what: string): string {
  let path: string;
  if (value.startsWith('file://')) {
    try {
      path = fileURLToPath(value);
    } catch (e) {
      throw new KeyError(`${what}: not a local file URL (${e instanceof Error ? e.message : String(e)})`);
    }
  } else path = value.slice('file:'.length);
  if (path.length === 0) throw new KeyError(`${what}: names no file`);
  return path;
}

function parsePkcs11(rest: string, display: string): Pkcs11KeyRef {
  const where = `PKCS#11 URI ${display}`;
  if (rest.includes('#')) throw new KeyError(`${where}: a fragment (#...) is not allowed`);
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const queryPart = q < 0 ? undefined : rest.slice(q + 1);
  const path = attributes(pathPart, ';', PATH_ATTRS, PATH_VALUE, where, 'path');
  const query = queryPart === undefined ? new Map<string, string>() : attributes(queryPart, '&', QUERY_ATTRS, QUERY_VALUE, where, 'query');

  const text = (name: string): string | undefined => {
    const raw = path.get(name) ?? query.get(name);
    if (raw === undefined) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(pctDecode(raw));
    } catch {
      throw new KeyError(`${where}: ${name} is not valid UTF-8 once percent-decoded`);
    }
  };
  const type = text('type');
  if (type !== undefined && type !== 'private')
    throw new KeyError(`${where}: type=${type} cannot sign; Fulgor signs with private keys (type=private or no type)`);
  const object = text('object');
  const id = path.has('id') ? pctDecode(path.get('id')!) : undefined;
  if (object === undefined && id === undefined) throw new KeyError(`${where}: names no key; add object=LABEL and/or id=%XX...`);
  if (query.has('pin-source') && query.has('pin-value')) throw new KeyError(`${where}: give pin-source or pin-value, not both`);
  const pinSource = text('pin-source');
  let pinFile: string | undefined;
  if (pinSource !== undefined) {
    if (pinSource.startsWith('file:')) pinFile = fileTarget(pinSource, `${where}: pin-source`);
    else if (pinSource.startsWith('/')) pinFile = pinSource;
    else throw new KeyError(`${where}: pin-source must be file:PATH or an absolute path`);
  }
  const modulePath = text('module-path');
  const ref: Record<string, unknown> = { kind: 'pkcs11', display };
  const put = (key: string, value: unknown) => value !== undefined && (ref[key] = value);
  put('token', text('token'));
  put('serial', text('serial'));
  put('manufacturer', text('manufacturer'));
  put('model', text('model'));
  put('object', object);
  put('id', id);
  put('modulePath', modulePath);
  put('pinFile', pinFile);
  if (query.has('pin-value')) {
    try {
      ref['pinValue'] = new TextDecoder('utf-8', { fatal: true }).decode(pctDecode(query.get('pin-value')!));
    } catch {
      throw new KeyError(`${where}: pin-value is not valid UTF-8 once percent-decoded`);
    }
  }
  return ref as unknown as Pkcs11KeyRef;
}

function attributes(
  part: string,
  separator: string,
  known: readonly string[],
  valueSyntax: RegExp,
  where: string,
  section: 'path' | 'query',
): Map<string, string> {
  const out = new Map<string, string>();
  if (part === '') {
    if (section === 'query') throw new KeyError(`${where}: empty query after "?"`);
    return out;
  }
  for (const item of part.split(separator)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new KeyError(`${where}: ${section} attribute ${JSON.stringify(section === 'query' ? item.split('=')[0] : item)} is not name=value`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const shown = name === 'pin-value' ? 'pin-value' : JSON.stringify(item);
    if (!known.includes(name)) {
      const hint = UNSUPPORTED[name];
      const other = section === 'path' ? QUERY_ATTRS.includes(name as never) : PATH_ATTRS.includes(name as never);
      if (other) throw new KeyError(`${where}: ${name} belongs in the URI's ${section === 'path' ? 'query (after "?")' : 'path (before "?")'}`);
      throw new KeyError(
        hint
          ? `${where}: ${name} is not supported; ${hint}`
          : `${where}: unknown ${section} attribute "${name}" (known: ${known.join(', ')})`,
      );
    }
    if (out.has(name)) throw new KeyError(`${where}: ${name} is given twice`);
    if (value === '') throw new KeyError(`${where}: ${name} is empty`);
    if (!valueSyntax.test(value)) throw new KeyError(`${where}: ${shown} has characters that must be percent-encoded`);
    out.set(name, value);
  }
  return out;
}

function pctDecode(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(value[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** A PKCS#11 URI for a key, as `ca init` records it (no PIN: the PIN comes from pin-source or the environment). */
export function formatPkcs11Uri(ref: Omit<Pkcs11KeyRef, 'kind' | 'display' | 'pinValue'>): string {
  const enc = (s: string) => Buffer.from(s, 'utf8').toString('latin1').replace(/[^A-Za-z0-9\-._~]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const encPath = (s: string) => enc(s).replace(/%2f/gi, '/');
  const path: string[] = [];
  if (ref.token !== undefined) path.push(`token=${enc(ref.token)}`);
  if (ref.serial !== undefined) path.push(`serial=${enc(ref.serial)}`);
  if (ref.manufacturer !== undefined) path.push(`manufacturer=${enc(ref.manufacturer)}`);
  if (ref.model !== undefined) path.push(`model=${enc(ref.model)}`);
  if (ref.object !== undefined) path.push(`object=${enc(ref.object)}`);
  if (ref.id !== undefined) path.push(`id=${[...ref.id].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`);
  const query: string[] = [];
  if (ref.modulePath !== undefined) query.push(`module-path=${encPath(ref.modulePath)}`);
  if (ref.pinFile !== undefined) query.push(`pin-source=file:${encPath(ref.pinFile)}`);
  return `pkcs11:${path.join(';')}${query.length ? `?${query.join('&')}` : ''}`;
}
