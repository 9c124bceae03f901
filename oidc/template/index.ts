// A Go text/template subset engine for Fulcio's ci-provider templates (Option("missingkey=error"), executed
// against a map[string]string). compileTemplate parses once (load time); execute runs it per token.
//
// Supported: text; {{ pipeline }} with `.field` (and `.a.b`), `.`, string/raw-string/number/bool literals,
// parenthesized pipelines, `|` into functions; {{if}} / {{else}} / {{else if}} / {{end}}; {{/* comments */}};
// "{{- " / " -}}" trim markers; functions and, or, not, eq, ne, index, len. Everything else is a compile error.

import { TemplateError } from './lex.js';
import { type Node, parseTemplate } from './parse.js';
import { TemplateExecError, execute } from './exec.js';

export { TemplateError, TemplateExecError };
export { goFloatF, goFloatV, goSprintV } from './go-format.js';

export interface Template {
  readonly source: string;
  /** Renders the template; throws TemplateExecError (missingKey set for a missing map entry). */
  execute(data: Readonly<Record<string, string>>): string;
}

class CompiledTemplate implements Template {
  constructor(
    readonly source: string,
    private readonly nodes: readonly Node[],
  ) {}
  execute(data: Readonly<Record<string, string>>): string {
    return execute(this.source, this.nodes, data);
  }
}

/** Parses a template; throws TemplateError ("template: …") with the position of the first problem. */
export function compileTemplate(source: string): Template {
  return new CompiledTemplate(source, parseTemplate(source));
}
