// Types for @tufjs/canonical-json (the OLPC canonical JSON TUF signs), which ships none.
declare module '@tufjs/canonical-json' {
  export function canonicalize(value: unknown): string;
}
