// Lexer for the subset of Go's text/template that Fulcio's ci-provider configs use. It follows Go's rules for
// delimiters ("{{", "}}"), trim markers ("{{- " and " -}}" with a space on the inner side), comments
// ("{{/* … */}}"), and tokens inside actions; spaces are tokens because Go's parser needs them to separate operands.

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export type TokenType =
  | 'text'
  | 'left' // {{
  | 'right' // }}
  | 'space'
  | 'field' // .name (one segment; ".a.b" is two field tokens)
  | 'dot' // .
  | 'identifier'
  | 'bool'
  | 'nil'
  | 'number'
  | 'string' // value already unquoted
  | 'lparen'
  | 'rparen'
  | 'pipe'
  | 'eof';

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  /** Byte offset into the template source. */
  readonly pos: number;
}

/** "line:column" (1-based) of an offset, for messages. */
export function position(src: string, pos: number): string {
  const before = src.slice(0, pos).split('\n');
  return `${before.length}:${(before[before.length - 1] as string).length + 1}`;
}

const fail = (src: string, pos: number, msg: string): never => {
  throw new TemplateError(`template: ${msg} (at ${position(src, pos)})`);
};

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

const GO_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/** Unquotes a Go interpreted string literal body (between the quotes). */
function unquote(src: string, start: number, body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] as string;
    if (e in GO_ESCAPES) out += GO_ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail(src, start, 'invalid escape in quoted string');
      out += e === 'x' ? Buffer.from([parseInt(hex, 16)]).toString('latin1') : String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else fail(src, start, `unknown escape sequence \\${e} in quoted string`);
  }
  return out;
}

const LEFT = '{{';
const RIGHT = '}}';

/** Splits a template into tokens; throws TemplateError on text Go's lexer rejects. */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    // Text up to the next action.
    let open = src.indexOf(LEFT, pos);
    if (open === -1) open = src.length;
    let text = src.slice(pos, open);
    const trimLeft = open < src.length && src[open + 2] === '-' && isSpace(src[open + 3]);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text !== '') out.push({ type: 'text', value: text, pos });
    if (open === src.length) break;
    pos = open + 2 + (trimLeft ? 2 : 0);

    // A comment takes the whole action.
    if (src.startsWith('/*', pos)) {
      const close = src.indexOf('*/', pos + 2);
      if (close === -1) fail(src, open, 'unclosed comment');
      pos = close + 2;
      const trimRight = isSpace(src[pos]) && src[pos + 1] === '-' && src.startsWith(RIGHT, pos + 2);
      if (!trimRight && !src.startsWith(RIGHT, pos)) fail(src, open, 'comment ends before closing delimiter');
      pos = trimRight ? skipSpace(src, pos + 4) : pos + 2;
      continue;
    }

    out.push({ type: 'left', value: LEFT, pos: open });
    let parens = 0;
    for (;;) {
      if (pos >= src.length) fail(src, open, 'unclosed action');
      const c = src[pos] as string;
      // " -}}" closes with trimming; "}}" closes.
      if (isSpace(c) && src[pos + 1] === '-' && src.startsWith(RIGHT, pos + 2)) {
        if (parens > 0) fail(src, pos, 'unclosed left paren');
        out.push({ type: 'right', value: RIGHT, pos });
        pos = skipSpace(src, pos + 4);
        break;
      }
      if (src.startsWith(RIGHT, pos)) {
        if (parens > 0) fail(src, pos, 'unclosed left paren');
        out.push({ type: 'right', value: RIGHT, pos });
        pos += 2;
        break;
      }
      if (isSpace(c)) {
        const start = pos;
        while (isSpace(src[pos]) && !(src[pos + 1] === '-' && src.startsWith(RIGHT, pos + 2))) pos++;
        out.push({ type: 'space', value: ' ', pos: start });
        continue;
      }
      if (c === '"') {
        let i = pos + 1;
        while (i < src.length && src[i] !== '"') {
          if (src[i] === '\n') fail(src, pos, 'unterminated quoted string');
          i += src[i] === '\\' ? 2 : 1;
        }
        if (i >= src.length) fail(src, pos, 'unterminated quoted string');
        out.push({ type: 'string', value: unquote(src, pos, src.slice(pos + 1, i)), pos });
        pos = i + 1;
        continue;
      }
      if (c === '`') {
        const close = src.indexOf('`', pos + 1);
        if (close === -1) fail(src, pos, 'unterminated raw quoted string');
        out.push({ type: 'string', value: src.slice(pos + 1, close).replaceAll('\r', ''), pos });
        pos = close + 1;
        continue;
      }
      if (c === '(') {
        parens++;
        out.push({ type: 'lparen', value: c, pos: pos++ });
        continue;
      }
      if (c === ')') {
        if (--parens < 0) fail(src, pos, 'unexpected right paren');
        out.push({ type: 'rparen', value: c, pos: pos++ });
        continue;
      }
      if (c === '|') {
        out.push({ type: 'pipe', value: c, pos: pos++ });
        continue;
      }
      if (c === '.' && !/[0-9]/.test(src[pos + 1] ?? '')) {
        let i = pos + 1;
        while (isAlnum(src[i])) i++;
        out.push(i === pos + 1 ? { type: 'dot', value: '.', pos } : { type: 'field', value: src.slice(pos + 1, i), pos });
        pos = i;
        continue;
      }
      const num = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(pos));
      if (num !== null && (/[0-9.+-]/.test(c))) {
        const after = src[pos + num[0].length];
        if (isAlnum(after) || after === '.') fail(src, pos, `bad number syntax: "${num[0]}${after}"`);
        out.push({ type: 'number', value: num[0], pos });
        pos += num[0].length;
        continue;
      }
      if (isAlnum(c)) {
        let i = pos;
        while (isAlnum(src[i])) i++;
        const word = src.slice(pos, i);
        const type: TokenType = word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier';
        out.push({ type, value: word, pos });
        pos = i;
        continue;
      }
      if (c === '$') fail(src, pos, 'variables are not supported');
      if (c === "'") fail(src, pos, 'character constants are not supported');
      fail(src, pos, `unexpected ${JSON.stringify(c)} in action`);
    }
  }
  out.push({ type: 'eof', value: '', pos: src.length });
  return out;
}

function skipSpace(src: string, pos: number): number {
  while (isSpace(src[pos])) pos++;
  return pos;
}
