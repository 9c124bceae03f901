// YAML decoding for Fulcio's config files. Fulcio's shipped config/identity/config.yaml uses aliases as mapping keys
// (`*github-type:` under ci-issuer-metadata, referring to `&github-type "github-workflow"` under `define:`). Go's
// yaml.v3 ends an alias name at ":", but YAML 1.2 (and the `yaml` package) allow ":" inside alias names, so
// `*github-type:` reads as an alias called "github-type:" and the document fails to parse.
//
// parseYamlConfig first walks the `yaml` package's concrete syntax tree; wherever an alias token ends in ":" and
// the name without that colon is a defined anchor (while the name with it is not), it inserts a space before the
// colon (`*github-type :`), which both readings agree on. Nothing else in the text changes. It then composes the
// document with unique keys and merge keys, and also refuses duplicate keys that only show up once aliases are
// resolved (the package compares alias keys by node, not by value).

import { LineCounter, Parser, isAlias, isScalar, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';

interface CstToken {
  readonly type?: string;
  readonly offset?: number;
  readonly source?: string;
}

/** Offsets of the ":" that end alias tokens used as `*anchor:` keys (yaml.v3's reading). */
export function aliasKeyColons(text: string): number[] {
  const anchors = new Set<string>();
  const aliases: { offset: number; source: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const t = node as CstToken;
    if (t.type === 'anchor' && typeof t.source === 'string') anchors.add(t.source.slice(1));
    if (t.type === 'alias' && typeof t.source === 'string' && typeof t.offset === 'number') aliases.push({ offset: t.offset, source: t.source });
    for (const v of Object.values(node)) if (typeof v === 'object') walk(v);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return aliases
    .filter(({ offset, source }) => {
      if (!source.endsWith(':') || source.length < 3) return false;
      const after = text[offset + source.length];
      const endsKey = after === undefined || after === ' ' || after === '\t' || after === '\r' || after === '\n';
      return endsKey && anchors.has(source.slice(1, -1)) && !anchors.has(source.slice(1));
    })
    .map(({ offset, source }) => offset + source.length - 1);
}

/** The text with a space inserted before each alias-key colon. */
export function separateAliasKeys(text: string): string {
  let out = text;
  for (const at of aliasKeyColons(text).sort((a, b) => b - a)) out = `${out.slice(0, at)} ${out.slice(at)}`;
  return out;
}

function scalarId(doc: Document, key: unknown): string | undefined {
  const node = isAlias(key) ? key.resolve(doc) : key;
  return isScalar(node) ? `${typeof node.value}:${String(node.value)}` : undefined;
}

/** Duplicate keys involving an alias key, which the package's uniqueKeys check does not see. */
function duplicateAliasKey(doc: Document, lines: LineCounter): string | undefined {
  let problem: string | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, boolean>(); // id -> any key with it was an alias
      for (const pair of map.items) {
        const id = scalarId(doc, pair.key);
        if (id === undefined) continue;
        const alias = isAlias(pair.key);
        if (seen.has(id) && (alias || seen.get(id) === true)) {
          const at = lines.linePos((pair.key as YamlNode).range?.[0] ?? 0);
          problem = `Map keys must be unique; "${id.slice(id.indexOf(':') + 1)}" is repeated through an alias at line ${at.line}, column ${at.col}`;
          return visit.BREAK;
        }
        seen.set(id, alias || seen.get(id) === true);
      }
      return undefined;
    },
  });
  return problem;
}

/** Parses one YAML document as Fulcio's config loader reads it; throws on any error. */
export function parseYamlConfig(text: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(separateAliasKeys(text), { uniqueKeys: true, merge: true, lineCounter: lines });
  if (doc.errors.length > 0) throw doc.errors[0];
  const dup = duplicateAliasKey(doc, lines);
  if (dup !== undefined) throw new Error(dup);
  return doc.toJS();
}
