// The command line's front door: finds the command named by argv, answers --help / -h / --version without running
// anything, parses the command's flags strictly (cli/flags.ts), merges the command's own layer (serve
// --server-config) under the command line and the environment, fills in the defaults and runs the command.
// Usage errors exit 2 with a message naming the flag (and the closest known one).
import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { PASSPHRASE_ENV, PKCS11_MODULE_ENV, PKCS11_PIN_ENV } from '../signer/index.js';
import { envName, parseCommandLine, suggest, UsageError, wantsHelp, withDefaults } from './flags.js';
import { commandHelp, overview } from './usage.js';

/** The version in package.json (dist/cli/run.js and cli/run.ts both sit two levels under the package root). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

/** FULGOR_* variables that are not flags: secrets, which never go on the command line. */
export const NON_FLAG_VARIABLES: readonly string[] = [PASSPHRASE_ENV, PKCS11_PIN_ENV, PKCS11_MODULE_ENV];

/**
 * FULGOR_* variables no command reads (a misspelt FULGOR_PROT would otherwise be ignored in silence) and Fulcio's
 * FULCIO_SERVE_* ones: warnings, not errors, since one environment serves every command.
 */
export function unknownVariables(env: NodeJS.ProcessEnv, commands: readonly Command[]): string[] {
  const known = [...new Set([...NON_FLAG_VARIABLES, ...commands.flatMap((c) => Object.keys(c.flags).map(envName))])];
  const fulcio = Object.keys(env)
    .filter((k) => k.startsWith('FULCIO_SERVE_'))
    .map((k) => `${k} is Fulcio's: Fulgor reads FULGOR_* variables (and serve --server-config); ignored`);
  const misspelt = Object.keys(env)
    .filter((k) => k.startsWith('FULGOR_') && !known.includes(k))
    .map((k) => {
      const near = suggest(k, known);
      return `${k} is not a variable fulgor reads${near ? ` (did you mean ${near}?)` : ''}; ignored`;
    });
  return [...misspelt, ...fulcio];
}

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

/** Runs `fulgor ...argv`; returns the exit code for usage answers, or undefined when the command ran (it sets its own). */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: CliIo): Promise<number | undefined> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout(overview(commands));
    return 0;
  }
  if (first === '--version') {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  if (first === 'help') return help(argv.slice(1), commands, io);
  // The command is the leading words (one or two); flags come after it.
  const words: string[] = [];
  for (const a of argv.slice(0, 2)) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const cmd = commands.find((c) => c.name === words.join(' ')) ?? commands.find((c) => c.name === words[0]);
  if (!cmd) return unknownCommand(words, argv, commands, io);
  const rest = argv.slice(cmd.name.split(' ').length);
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(cmd));
    return 0;
  }
  for (const w of unknownVariables(io.env, commands)) io.stderr(`fulgor: warning: ${w}\n`);
  try {
    const given = parseCommandLine(cmd.flags, rest, io.env);
    const layered = cmd.layer ? { ...(await cmd.layer(given, io.env)), ...given } : given;
    await cmd.run(withDefaults(cmd.flags, layered));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`fulgor ${cmd.name}: ${e.message}\n(\`fulgor ${cmd.name} --help\` lists its flags)\n`);
    return 2;
  }
  return undefined;
}

function help(words: readonly string[], commands: readonly Command[], io: CliIo): number {
  const cmd = commands.find((c) => c.name === words.join(' '));
  if (cmd) io.stdout(commandHelp(cmd));
  else if (words.length === 0) io.stdout(overview(commands));
  else return unknownCommand(words, words, commands, io);
  return 0;
}

/** `fulgor ca` (a group without its subcommand), `fulgor sreve`, `fulgor --prot`: exit 2 saying what exists. */
function unknownCommand(words: readonly string[], argv: readonly string[], commands: readonly Command[], io: CliIo): number {
  const group = commands.filter((c) => c.name.startsWith(`${words[0]} `));
  if (words.length === 0) {
    io.stderr(`fulgor: ${argv[0]} is not a command; give the command first (fulgor <command> [flags])\n\n${overview(commands)}`);
    return 2;
  }
  if (group.length > 0) {
    const asked = wantsHelp(argv.slice(1)) && words.length === 1;
    const width = Math.max(...group.map((c) => c.name.length)) + 2;
    const list = group.map((c) => `  fulgor ${c.name.padEnd(width)}${c.summary}`).join('\n');
    (asked ? io.stdout : io.stderr)(`${asked ? '' : `fulgor: ${words.join(' ')} is not a command. `}fulgor ${words[0]} commands:\n${list}\n`);
    return asked ? 0 : 2;
  }
  const near = suggest(words.join(' '), commands.map((c) => c.name)) ?? suggest(words[0] as string, commands.map((c) => c.name));
  io.stderr(`fulgor: unknown command ${JSON.stringify(words.join(' '))}${near ? ` (did you mean \`fulgor ${near}\`?)` : ''}\n\n${overview(commands)}`);
  return 2;
}
