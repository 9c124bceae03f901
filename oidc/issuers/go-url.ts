// A faithful port of the parts of Go's net/url that Fulcio's legacy CI principals rely on: url.Parse,
// (*URL).String and (*URL).JoinPath (which runs path.Join, so "." and ".." segments are cleaned). SAN and
// extension strings must come out byte-for-byte as Fulcio writes them, and WHATWG `URL` normalises differently.
//
// Go strings are byte strings: everything here works on "binary" strings (one char per UTF-8 byte) and the public
// functions convert at the edges.

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'fragment';

export interface GoURL {
  readonly scheme: string;
  readonly opaque: string;
  readonly user?: { readonly username: string; readonly password?: string };
  readonly host: string;
  readonly path: string;
  readonly rawPath: string;
  readonly omitHost: boolean;
  readonly forceQuery: boolean;
  readonly rawQuery: string;
  readonly fragment: string;
  readonly rawFragment: string;
}

export class GoURLError extends Error {
  override readonly name = 'GoURLError';
}

// ASCII is the same string either way (the common case: claims are ASCII), so only other text is converted.
// eslint-disable-next-line no-control-regex -- the whole ASCII range
const ASCII = /^[\x00-\x7f]*$/;
const toBytes = (s: string): string => (ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1'));
const fromBytes = (s: string): string => (ASCII.test(s) ? s : Buffer.from(s, 'latin1').toString('utf8'));
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Go's shouldEscape for one byte (0–255) in one mode. */
function shouldEscapeByte(b: number, mode: Mode): boolean {
  const c = String.fromCharCode(b);
  if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return false;
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  if ('$&+,/:;=?@'.includes(c)) {
    switch (mode) {
      case 'path':
        return c === '?';
      case 'userPassword':
        return c === '@' || c === '/' || c === '?' || c === ':';
      case 'fragment':
        return false;
      default:
        break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(c)) return false;
  return true;
}

/**
 * shouldEscape's answers for every byte, one table per mode, computed once: the claim mapping escapes several URLs
 * per certificate, and a table lookup per byte replaces a handful of string searches.
 */
const MODES: readonly Mode[] = ['path', 'host', 'zone', 'userPassword', 'fragment'];
const ESCAPE = Object.fromEntries(MODES.map((mode) => [mode, Uint8Array.from({ length: 256 }, (_, b) => (shouldEscapeByte(b, mode) ? 1 : 0))])) as Record<Mode, Uint8Array>;
const HEX_UPPER = '0123456789ABCDEF';

function shouldEscape(c: string, mode: Mode): boolean {
  const b = c.charCodeAt(0);
  return b > 0xff || ESCAPE[mode][b] === 1;
}

function escape(s: string, mode: Mode): string {
  const table = ESCAPE[mode];
  let i = 0;
  while (i < s.length && table[s.charCodeAt(i)] === 0) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const b = s.charCodeAt(i);
    out += table[b] === 0 ? s[i] : `%${HEX_UPPER[b >> 4]}${HEX_UPPER[b & 15]}`;
  }
  return out;
}

function unescape(s: string, mode: Mode): string {
  for (let i = 0; i < s.length; ) {
    const c = s[i] as string;
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) throw new GoURLError(`invalid URL escape "${s.slice(i, i + 3)}"`);
      if (mode === 'host' && parseInt(s[i + 1] as string, 16) < 8 && s.slice(i, i + 3) !== '%25') {
        throw new GoURLError(`invalid URL escape "${s.slice(i, i + 3)}"`);
      }
      i += 3;
    } else {
      if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80 && shouldEscape(c, mode)) {
        throw new GoURLError(`invalid character "${c}" in host name`);
      }
      i++;
    }
  }
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Bytes validEncoded lets through whatever the mode says. */
const ALWAYS_VALID = new Uint8Array(256);
for (const c of `!$&'()*+,;=:@[]%`) ALWAYS_VALID[c.charCodeAt(0)] = 1;

function validEncoded(s: string, mode: Mode): boolean {
  const table = ESCAPE[mode];
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b > 0xff || (ALWAYS_VALID[b] === 0 && table[b] === 1)) return false;
  }
  return true;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new GoURLError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new GoURLError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new GoURLError(`invalid port "${colonPort}" after host`);
    const zone = host.slice(0, i).indexOf('%25');
    if (zone >= 0) {
      return unescape(host.slice(0, zone), 'host') + unescape(host.slice(zone, i), 'zone') + unescape(host.slice(i), 'host');
    }
  } else {
    const i = host.lastIndexOf(':');
    if (i !== -1 && !validOptionalPort(host.slice(i))) throw new GoURLError(`invalid port "${host.slice(i)}" after host`);
  }
  return unescape(host, 'host');
}

function parseAuthority(authority: string): Pick<GoURL, 'user' | 'host'> {
  const i = authority.lastIndexOf('@');
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1));
  if (i < 0) return { host };
  const userinfo = authority.slice(0, i);
  if (!/^[a-zA-Z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new GoURLError('net/url: invalid userinfo');
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { host, user: { username: unescape(userinfo, 'userPassword') } };
  return {
    host,
    user: {
      username: unescape(userinfo.slice(0, colon), 'userPassword'),
      password: unescape(userinfo.slice(colon + 1), 'userPassword'),
    },
  };
}

function withPath(u: GoURL, p: string): GoURL {
  const path = unescape(p, 'path');
  return { ...u, path, rawPath: escape(path, 'path') === p ? '' : p };
}

function parseBytes(input: string): GoURL {
  const hash = input.indexOf('#');
  const rawURL = hash < 0 ? input : input.slice(0, hash);
  const frag = hash < 0 ? '' : input.slice(hash + 1);
  // eslint-disable-next-line no-control-regex -- these are the bytes Go's net/url refuses (its stringContainsCTLByte)
  if (/[\x00-\x1f\x7f]/.test(rawURL)) throw new GoURLError('net/url: invalid control character in URL');
  let u: GoURL = {
    scheme: '', opaque: '', host: '', path: '', rawPath: '', omitHost: false,
    forceQuery: false, rawQuery: '', fragment: '', rawFragment: '',
  };
  if (rawURL === '*') u = { ...u, path: '*' };
  else {
    const [scheme, afterScheme] = getScheme(rawURL);
    let rest = afterScheme;
    u = { ...u, scheme: scheme.toLowerCase() };
    if (rest.endsWith('?') && rest.split('?').length === 2) {
      u = { ...u, forceQuery: true };
      rest = rest.slice(0, -1);
    } else {
      const q = rest.indexOf('?');
      if (q >= 0) {
        u = { ...u, rawQuery: rest.slice(q + 1) };
        rest = rest.slice(0, q);
      }
    }
    if (!rest.startsWith('/')) {
      if (u.scheme !== '') return withFragment({ ...u, opaque: rest }, frag, hash >= 0);
      if ((rest.split('/')[0] ?? '').includes(':')) throw new GoURLError('first path segment in URL cannot contain colon');
    }
    if ((u.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
      let authority = rest.slice(2);
      rest = '';
      const slash = authority.indexOf('/');
      if (slash >= 0) {
        rest = authority.slice(slash);
        authority = authority.slice(0, slash);
      }
      u = { ...u, ...parseAuthority(authority) };
    } else if (u.scheme !== '' && rest.startsWith('/')) {
      u = { ...u, omitHost: true };
    }
    u = withPath(u, rest);
  }
  return withFragment(u, frag, hash >= 0);
}

function withFragment(u: GoURL, frag: string, present: boolean): GoURL {
  if (!present || frag === '') return u;
  const fragment = unescape(frag, 'fragment');
  return { ...u, fragment, rawFragment: escape(fragment, 'fragment') === frag ? '' : frag };
}

function escapedPath(u: GoURL): string {
  if (u.rawPath !== '' && validEncoded(u.rawPath, 'path')) {
    try {
      if (unescape(u.rawPath, 'path') === u.path) return u.rawPath;
    } catch {
      // fall through to escaping Path
    }
  }
  return u.path === '*' ? '*' : escape(u.path, 'path');
}

function escapedFragment(u: GoURL): string {
  if (u.rawFragment !== '' && validEncoded(u.rawFragment, 'fragment')) {
    try {
      if (unescape(u.rawFragment, 'fragment') === u.fragment) return u.rawFragment;
    } catch {
      // fall through
    }
  }
  return escape(u.fragment, 'fragment');
}

function stringBytes(u: GoURL): string {
  let buf = '';
  if (u.scheme !== '') buf += u.scheme + ':';
  if (u.opaque !== '') buf += u.opaque;
  else {
    if (u.scheme !== '' || u.host !== '' || u.user !== undefined) {
      if (!(u.omitHost && u.host === '' && u.user === undefined)) {
        if (u.host !== '' || u.path !== '' || u.user !== undefined) buf += '//';
        if (u.user !== undefined) {
          buf += escape(u.user.username, 'userPassword');
          if (u.user.password !== undefined) buf += ':' + escape(u.user.password, 'userPassword');
          buf += '@';
        }
        if (u.host !== '') buf += escape(u.host, 'host');
      }
    }
    const p = escapedPath(u);
    if (p !== '' && !p.startsWith('/') && u.host !== '') buf += '/';
    if (buf === '' && (p.split('/')[0] ?? '').includes(':')) buf += './';
    buf += p;
  }
  if (u.forceQuery || u.rawQuery !== '') buf += '?' + u.rawQuery;
  if (u.fragment !== '') buf += '#' + escapedFragment(u);
  return buf;
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  let dotdot = 0; // number of leading ".." kept in a relative path
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > dotdot) out.pop();
      else if (!rooted) {
        out.push('..');
        dotdot++;
      }
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Go's path.Join. */
export function joinPath(...elem: string[]): string {
  const nonEmpty = elem.filter((e) => e !== '');
  return nonEmpty.length === 0 ? '' : cleanPath(nonEmpty.join('/'));
}

/** url.Parse. Throws GoURLError where Go returns an error. */
export function parseGoURL(raw: string): GoURL {
  return parseBytes(toBytes(raw));
}

/** (*URL).String. */
export function goURLString(u: GoURL): string {
  return fromBytes(stringBytes(u));
}

/** (*URL).JoinPath. Like Go, an element that is not a valid escaped path leaves the path unchanged. */
export function goJoinPath(u: GoURL, ...elems: string[]): GoURL {
  const elem = [escapedPath(u), ...elems.map(toBytes)];
  let p: string;
  if (!(elem[0] as string).startsWith('/')) {
    elem[0] = '/' + (elem[0] as string);
    p = joinPath(...elem).slice(1);
  } else {
    p = joinPath(...elem);
  }
  if ((elem[elem.length - 1] as string).endsWith('/') && !p.endsWith('/')) p += '/';
  try {
    return withPath(u, p);
  } catch {
    return u;
  }
}

/** A path element of segments Go neither escapes nor unescapes (unreserved characters and `$&+,;=:@`), none empty. */
const PLAIN_ELEMENT = /^[A-Za-z0-9\-_.~$&+,;=:@]+(?:\/[A-Za-z0-9\-_.~$&+,;=:@]+)*$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
const isPlainElement = (e: string): boolean => PLAIN_ELEMENT.test(e) && !DOT_SEGMENT.test(e);

/**
 * A function giving goURLString(goJoinPath(base, ...elems)). The claim mappings join several URLs onto one base per
 * certificate, and the usual case is written directly: onto a base whose path is "/" (no query, fragment or raw
 * path), elements of plain segments (no "." or ".." segment, no empty one, nothing Go would escape or unescape) join
 * as the base's string followed by the elements separated by "/". Anything else takes the full port.
 */
export function goPathJoiner(base: GoURL): (...elems: string[]) => string {
  const baseString = goURLString(base);
  const simpleBase =
    base.path === '/' && base.rawPath === '' && base.opaque === '' && base.rawQuery === '' && !base.forceQuery && base.fragment === '' && baseString.endsWith('/');
  return (...elems) => (simpleBase && elems.length > 0 && elems.every(isPlainElement) ? baseString + elems.join('/') : goURLString(goJoinPath(base, ...elems)));
}
