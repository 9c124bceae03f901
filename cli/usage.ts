// What `fulgor --help`, `fulgor <command> --help` and README's flag tables say, all from the commands' flag specs.
import type { Command } from './command.js';
import { envName, type FlagSpec } from './flags.js';

const flagLabel = (name: string, spec: FlagSpec): string => `--${name}${spec.type === 'boolean' ? '' : ` ${spec.value ?? 'VALUE'}`}`;
/** `-c, --server-config FILE` when the flag has a one-letter form. */
const fullLabel = (name: string, spec: FlagSpec): string => `${spec.short ? `-${spec.short}, ` : ''}${flagLabel(name, spec)}`;

function flagNotes(spec: FlagSpec): string[] {
  const notes: string[] = [];
  if (spec.default !== undefined) notes.push(`default ${spec.default}`);
  if (spec.type === 'list') notes.push('repeatable');
  if (spec.aliases?.length) notes.push(`alias ${spec.aliases.map((a) => `--${a}`).join(', ')}`);
  return notes;
}

/** `fulgor <command> --help`: every flag with its description, default and environment variable. */
export function commandHelp(cmd: Command): string {
  const rows: (readonly [string, string])[] = Object.entries(cmd.flags).map(([name, spec]) => {
    const notes = flagNotes(spec);
    return [fullLabel(name, spec), `${spec.description}${notes.length ? ` (${notes.join('; ')})` : ''} [${envName(name)}]`] as const;
  });
  rows.push(['-h, --help', 'print this help and exit']);
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([label, text]) => (label.length + 2 > width ? `  ${label}\n  ${' '.repeat(width)}${text}` : `  ${label.padEnd(width)}${text}`));
  return (
    `usage: fulgor ${cmd.name} [flags]\n\n${cmd.summary}\n\n` +
    `flags (each also read from the environment variable in brackets; the command line wins):\n${lines.join('\n')}\n` +
    (cmd.notes?.length ? `\n${cmd.notes.join('\n')}\n` : '')
  );
}

/** `fulgor --help`: the commands. */
export function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return (
    'usage: fulgor <command> [flags]\n\ncommands:\n' +
    commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n') +
    '\n\n`fulgor <command> --help` lists a command\'s flags; `fulgor --version` prints the version.\n'
  );
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** README's flag tables (between the markers of the "Commands" section): one table per command. */
export function flagsMarkdown(commands: readonly Command[]): string {
  return commands
    .map((c) => {
      const rows = Object.entries(c.flags).map(([name, spec]) => {
        const label = [...(spec.short ? [`\`-${spec.short}\``] : []), ...[name, ...(spec.aliases ?? [])].map((n) => `\`${flagLabel(n, spec)}\``)].join(', ');
        const extra = spec.type === 'list' ? ' (repeatable)' : '';
        return `| ${cell(label)} | \`${envName(name)}\` | ${spec.default !== undefined ? `\`${cell(spec.default)}\`` : ''} | ${cell(spec.description)}${extra} |`;
      });
      return `#### \`fulgor ${c.name}\`\n\n${c.summary}\n\n| flag | environment | default | what it does |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`;
    })
    .join('\n');
}

export const FLAG_TABLES_BEGIN = '<!-- flags:begin (generated from the commands\' flag specs by scripts/readme-flags.mjs) -->';
export const FLAG_TABLES_END = '<!-- flags:end -->';

/** README's text with the flag tables between the markers replaced by `tables`; throws when the markers are missing. */
export function replaceFlagTables(readme: string, tables: string): string {
  const begin = readme.indexOf(FLAG_TABLES_BEGIN);
  const end = readme.indexOf(FLAG_TABLES_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${FLAG_TABLES_BEGIN} ... ${FLAG_TABLES_END} block`);
  return `${readme.slice(0, begin + FLAG_TABLES_BEGIN.length)}\n\n${tables}\n${readme.slice(end)}`;
}
