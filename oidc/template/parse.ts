// Parser for the text/template subset: text, actions with pipelines, {{if}}/{{else}}/{{else if}}/{{end}}, and the
// builtin functions in BUILTIN_ARITY. Anything else Go accepts (range, with, variables, define, …) is refused at
// compile time with a clear message, as is anything that can only fail at execution (arguments to a non-function).

import { type Token, TemplateError, lex, position } from './lex.js';

export type Operand =
  | { readonly kind: 'field'; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: 'dot'; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'number'; readonly value: number; readonly float: boolean; readonly text: string; readonly pos: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly pos: number }
  | { readonly kind: 'nil'; readonly pos: number }
  | { readonly kind: 'func'; readonly name: string; readonly pos: number }
  | { readonly kind: 'pipe'; readonly pipe: Pipeline; readonly pos: number }
  | { readonly kind: 'chain'; readonly node: Operand; readonly names: readonly string[]; readonly pos: number };

export interface Command {
  readonly args: readonly Operand[];
  readonly pos: number;
}

export interface Pipeline {
  readonly cmds: readonly Command[];
  readonly pos: number;
}

export type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipeline; readonly pos: number }
  | { readonly kind: 'if'; readonly pipe: Pipeline; readonly then: readonly Node[]; readonly else?: readonly Node[]; readonly pos: number };

/** Builtin functions and their argument counts: [min, max] (max undefined = variadic). */
export const BUILTIN_ARITY: Readonly<Record<string, readonly [number, number | undefined]>> = {
  and: [1, undefined],
  or: [1, undefined],
  not: [1, 1],
  eq: [1, undefined],
  ne: [2, 2],
  index: [1, undefined],
  len: [1, 1],
};

const UNSUPPORTED_KEYWORDS = new Set(['range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** Go's %s of a node, for messages such as `at <.foo>`. */
export function describe(n: Operand | Command | Pipeline): string {
  if ('cmds' in n) return n.cmds.map(describe).join(' | ');
  if ('args' in n) return n.args.map(describe).join(' ');
  switch (n.kind) {
    case 'field':
      return n.names.map((x) => `.${x}`).join('');
    case 'dot':
      return '.';
    case 'string':
      return JSON.stringify(n.value);
    case 'number':
      return n.text;
    case 'bool':
      return String(n.value);
    case 'nil':
      return 'nil';
    case 'func':
      return n.name;
    case 'pipe':
      return `(${describe(n.pipe)})`;
    case 'chain':
      return `${describe(n.node)}${n.names.map((x) => `.${x}`).join('')}`;
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: readonly Token[],
  ) {}

  private fail(pos: number, msg: string): never {
    throw new TemplateError(`template: ${msg} (at ${position(this.src, pos)})`);
  }
  private peek(): Token {
    return this.toks[this.i] as Token;
  }
  private next(): Token {
    return this.toks[this.i++] as Token;
  }
  private peekNonSpace(): Token {
    while (this.peek().type === 'space') this.i++;
    return this.peek();
  }
  private tokenText(t: Token): string {
    if (t.type === 'eof') return 'EOF';
    if (t.type === 'right') return '"}}"';
    return JSON.stringify(t.type === 'field' ? `.${t.value}` : t.value);
  }

  /** A list of nodes up to EOF (top level) or up to `{{else}}`/`{{end}}` (inside if); returns the stopper. */
  list(inIf: boolean): { nodes: Node[]; stop?: 'else' | 'end' | 'elseif'; pos: number } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'eof') {
        if (inIf) this.fail(t.pos, 'unexpected EOF: {{if}} without {{end}}');
        return { nodes, pos: t.pos };
      }
      if (t.type === 'text') {
        nodes.push({ kind: 'text', text: t.value });
        continue;
      }
      // t is "{{"
      const kw = this.peekNonSpace();
      if (kw.type === 'identifier' && (kw.value === 'end' || kw.value === 'else')) {
        this.next();
        if (!inIf) this.fail(kw.pos, `unexpected {{${kw.value}}}`);
        if (kw.value === 'else' && this.peekNonSpace().type === 'identifier' && this.peek().value === 'if') {
          this.next();
          return { nodes, stop: 'elseif', pos: kw.pos };
        }
        if (this.peekNonSpace().type !== 'right') this.fail(this.peek().pos, `unexpected ${this.tokenText(this.peek())} in ${kw.value}`);
        this.next();
        return { nodes, stop: kw.value, pos: kw.pos };
      }
      if (kw.type === 'identifier' && kw.value === 'if') {
        this.next();
        nodes.push(this.ifNode(kw.pos));
        continue;
      }
      if (kw.type === 'identifier' && UNSUPPORTED_KEYWORDS.has(kw.value)) this.fail(kw.pos, `{{${kw.value}}} is not supported`);
      nodes.push({ kind: 'action', pipe: this.pipeline('command', 'right'), pos: t.pos });
    }
  }

  private ifNode(pos: number): Node {
    const pipe = this.pipeline('if', 'right');
    const body = this.list(true);
    if (body.stop === 'end') return { kind: 'if', pipe, then: body.nodes, pos };
    if (body.stop === 'elseif') return { kind: 'if', pipe, then: body.nodes, else: [this.ifNode(body.pos)], pos };
    const alt = this.list(true);
    if (alt.stop !== 'end') this.fail(alt.pos, 'expected end; found {{else}}');
    return { kind: 'if', pipe, then: body.nodes, else: alt.nodes, pos };
  }

  /** Commands separated by "|" up to `end` (the "}}" or ")" token, consumed). */
  private pipeline(context: string, end: 'right' | 'rparen'): Pipeline {
    const pos = this.peekNonSpace().pos;
    const cmds: Command[] = [];
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === end) {
        this.next();
        if (cmds.length === 0) this.fail(t.pos, `missing value for ${context}`);
        break;
      }
      if (cmds.length > 0) {
        if (t.type !== 'pipe') this.fail(t.pos, `unexpected ${this.tokenText(t)} in ${context}`);
        this.next();
      }
      cmds.push(this.command(cmds.length > 0));
    }
    return { cmds, pos };
  }

  private command(piped: boolean): Command {
    const pos = this.peekNonSpace().pos;
    const args: Operand[] = [];
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op !== undefined) args.push(op);
      const t = this.peek();
      if (t.type === 'space') continue;
      if (t.type === 'right' || t.type === 'rparen' || t.type === 'pipe') break;
      this.fail(t.pos, `unexpected ${this.tokenText(t)} in operand`);
    }
    if (args.length === 0) this.fail(pos, 'missing value for command');
    const cmd = { args, pos };
    const head = args[0] as Operand;
    // A function named as an argument is called with no arguments; every builtin needs at least one.
    for (const a of args.slice(1)) if (a.kind === 'func') this.fail(a.pos, `wrong number of args for ${a.name}: want at least 1 got 0`);
    if (head.kind === 'func') {
      const [min, max] = BUILTIN_ARITY[head.name] as readonly [number, number | undefined];
      const n = args.length - 1 + (piped ? 1 : 0);
      if (n < min || (max !== undefined && n > max)) {
        this.fail(pos, `wrong number of args for ${head.name}: want ${max === min ? min : `at least ${min}`} got ${n}`);
      }
    } else if (head.kind === 'nil') {
      this.fail(pos, 'nil is not a command');
    } else if (args.length > 1 || piped) {
      this.fail(pos, `can't give argument to non-function ${describe(head)}`);
    }
    return cmd;
  }

  private operand(): Operand | undefined {
    const term = this.term();
    if (term === undefined) return undefined;
    if (this.peek().type !== 'field') return term;
    const names: string[] = [];
    while (this.peek().type === 'field') names.push(this.next().value);
    if (term.kind === 'field') return { ...term, names: [...term.names, ...names] };
    if (term.kind === 'func' || term.kind === 'bool' || term.kind === 'string' || term.kind === 'number' || term.kind === 'nil' || term.kind === 'dot') {
      this.fail(term.pos, `unexpected . after term ${JSON.stringify(describe(term))}`);
    }
    return { kind: 'chain', node: term, names, pos: term.pos };
  }

  private term(): Operand | undefined {
    const t = this.peek();
    switch (t.type) {
      case 'field':
        this.next();
        return { kind: 'field', names: [t.value], pos: t.pos };
      case 'dot':
        this.next();
        return { kind: 'dot', pos: t.pos };
      case 'string':
        this.next();
        return { kind: 'string', value: t.value, pos: t.pos };
      case 'number': {
        this.next();
        const value = Number(t.value);
        const float = /[.eE]/.test(t.value);
        if (!float && !Number.isSafeInteger(value)) this.fail(t.pos, `number ${t.value} is out of range`);
        return { kind: 'number', value, float, text: t.value, pos: t.pos };
      }
      case 'bool':
        this.next();
        return { kind: 'bool', value: t.value === 'true', pos: t.pos };
      case 'nil':
        this.next();
        return { kind: 'nil', pos: t.pos };
      case 'identifier':
        if (!Object.prototype.hasOwnProperty.call(BUILTIN_ARITY, t.value)) {
          if (UNSUPPORTED_KEYWORDS.has(t.value) || t.value === 'if' || t.value === 'else' || t.value === 'end') {
            this.fail(t.pos, `unexpected ${JSON.stringify(t.value)} in operand`);
          }
          this.fail(t.pos, `function ${JSON.stringify(t.value)} not defined`);
        }
        this.next();
        return { kind: 'func', name: t.value, pos: t.pos };
      case 'lparen': {
        this.next();
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        return { kind: 'pipe', pipe, pos: t.pos };
      }
      default:
        return undefined;
    }
  }
}

/** Parses a template into its node list; throws TemplateError with a position on any syntax error. */
export function parseTemplate(src: string): readonly Node[] {
  return new Parser(src, lex(src)).list(false).nodes;
}
