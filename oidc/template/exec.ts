// Execution of parsed templates against a map[string]string, with Go's text/template semantics for the supported
// subset: missingkey=error for field access, `index` yielding the zero value ("") for a missing map key,
// short-circuit and/or, Go's truthiness, Go's basic-kind comparisons in eq/ne, and fmt's printing of values.
// No HTML escaping (this is text/template).

import { TemplateError, position } from './lex.js';
import { type Command, type Node, type Operand, type Pipeline, describe } from './parse.js';
import { goFloatV } from './go-format.js';

/** A float64 value (integers are plain numbers, Go's int). */
export class GoFloat {
  constructor(readonly value: number) {}
}
type GoMap = Readonly<Record<string, string>>;
export type Value = string | number | GoFloat | boolean | null | GoMap;

export class TemplateExecError extends TemplateError {
  /** The map key that was missing (missingkey=error), when that is the failure. */
  readonly missingKey: string | undefined;
  /** The data key the failing expression was reading, when there is one. */
  readonly key: string | undefined;
  constructor(message: string, opts: { missingKey?: string; key?: string } = {}) {
    super(message);
    this.missingKey = opts.missingKey;
    this.key = opts.key ?? opts.missingKey;
  }
}

const isMap = (v: Value): v is GoMap => typeof v === 'object' && v !== null && !(v instanceof GoFloat);

function typeName(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  return v instanceof GoFloat ? 'float64' : 'map[string]string';
}

/** fmt's %v of a value, as text/template prints an action's result. */
export function printValue(v: Value): string {
  if (v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof GoFloat) return goFloatV(v.value);
  const keys = Object.keys(v).sort();
  return `map[${keys.map((k) => `${k}:${v[k]}`).join(' ')}]`;
}

function truth(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'string') return v !== '';
  if (typeof v === 'number' || typeof v === 'boolean') return v !== 0 && v !== false;
  if (v instanceof GoFloat) return v.value !== 0;
  return Object.keys(v).length > 0;
}

class Exec {
  constructor(
    private readonly src: string,
    private readonly data: GoMap,
  ) {}

  private fail(at: Operand | Command, msg: string, opts: { missingKey?: string; key?: string } = {}): never {
    throw new TemplateExecError(`template: executing at <${describe(at)}> (${position(this.src, at.pos)}): ${msg}`, opts);
  }

  run(nodes: readonly Node[]): string {
    let out = '';
    for (const n of nodes) {
      if (n.kind === 'text') out += n.text;
      else if (n.kind === 'action') out += printValue(this.pipeline(n.pipe));
      else if (truth(this.pipeline(n.pipe))) out += this.run(n.then);
      else if (n.else !== undefined) out += this.run(n.else);
    }
    return out;
  }

  private pipeline(p: Pipeline): Value {
    let v: Value | undefined;
    for (const cmd of p.cmds) v = this.command(cmd, v);
    return v as Value;
  }

  private command(cmd: Command, piped: Value | undefined): Value {
    const head = cmd.args[0] as Operand;
    if (head.kind !== 'func') return this.operand(head); // the parser allows no arguments here
    const args: (() => Value)[] = cmd.args.slice(1).map((a) => () => this.operand(a));
    if (piped !== undefined) args.push(() => piped);
    return this.call(head.name, args, cmd);
  }

  private fields(at: Operand, v: Value, names: readonly string[]): Value {
    let read: string | undefined; // the last map key read, to name the claim in errors
    for (const name of names) {
      const key = read === undefined ? {} : { key: read };
      if (isMap(v)) {
        if (!Object.prototype.hasOwnProperty.call(v, name)) this.fail(at, `map has no entry for key ${JSON.stringify(name)}`, { missingKey: name });
        v = v[name] as string;
        read = name;
      } else if (v === null) {
        this.fail(at, `nil pointer evaluating interface {}.${name}`, key);
      } else {
        this.fail(at, `can't evaluate field ${name} in type ${typeName(v)}`, key);
      }
    }
    return v;
  }

  private operand(o: Operand): Value {
    switch (o.kind) {
      case 'field':
        return this.fields(o, this.data, o.names);
      case 'dot':
        return this.data;
      case 'string':
      case 'bool':
        return o.value;
      case 'number':
        return o.float ? new GoFloat(o.value) : o.value;
      case 'nil':
        return null;
      case 'pipe':
        return this.pipeline(o.pipe);
      case 'chain':
        return this.fields(o, this.operand(o.node), o.names);
      case 'func':
        return this.call(o.name, [], { args: [o], pos: o.pos });
    }
  }

  private call(name: string, args: (() => Value)[], at: Command): Value {
    switch (name) {
      case 'and':
      case 'or': {
        let v: Value = null;
        for (const a of args) {
          v = a();
          if (truth(v) === (name === 'or')) return v;
        }
        return v;
      }
      case 'not':
        return !truth((args[0] as () => Value)());
      case 'eq':
      case 'ne': {
        const [first, ...rest] = args.map((a) => a());
        if (rest.length === 0) this.fail(at, `error calling ${name}: missing argument for comparison`);
        const equal = rest.some((b) => this.equal(first as Value, b, at, name));
        return name === 'eq' ? equal : !equal;
      }
      case 'index':
        return this.index(args.map((a) => a()), at);
      case 'len': {
        const v = (args[0] as () => Value)();
        if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
        if (isMap(v)) return Object.keys(v).length;
        return this.fail(at, `error calling len: len of type ${typeName(v)}`);
      }
      default:
        return this.fail(at, `function ${JSON.stringify(name)} not defined`);
    }
  }

  private equal(a: Value, b: Value, at: Command, fn: string): boolean {
    if (isMap(a) || isMap(b)) this.fail(at, `error calling ${fn}: non-comparable type`);
    if (a === null || b === null) return a === b;
    if (typeName(a) !== typeName(b)) this.fail(at, `error calling ${fn}: incompatible types for comparison`);
    if (a instanceof GoFloat) return a.value === (b as GoFloat).value;
    return a === b;
  }

  private index(args: Value[], at: Command): Value {
    let item = args[0] as Value;
    for (const ix of args.slice(1)) {
      if (isMap(item)) {
        if (typeof ix !== 'string') this.fail(at, `error calling index: value has type ${typeName(ix)}; should be string`);
        // A missing key gives the map's zero value: missingkey=error applies to field access only.
        item = Object.prototype.hasOwnProperty.call(item, ix) ? (item[ix] as string) : '';
      } else if (typeof item === 'string') {
        if (typeof ix !== 'number') this.fail(at, `error calling index: cannot index slice/array with type ${typeName(ix)}`);
        const bytes = Buffer.from(item, 'utf8');
        if (ix < 0 || ix >= bytes.length) this.fail(at, `error calling index: index out of range: ${ix}`);
        item = bytes[ix] as number;
      } else {
        this.fail(at, `error calling index: can't index item of type ${typeName(item)}`);
      }
    }
    return item;
  }
}

/** Runs parsed nodes against `data`; throws TemplateExecError. */
export function execute(src: string, nodes: readonly Node[], data: GoMap): string {
  return new Exec(src, data).run(nodes);
}
