#!/usr/bin/env node
// The `fulgor` command line: `fulgor --help` lists the commands, `fulgor <command> --help` a command's flags.
import { COMMANDS, runCli } from '../cli/index.js';
import { KeyError } from '../signer/index.js';

runCli(process.argv.slice(2), COMMANDS, {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
}).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fulgor: ${e instanceof Error ? e.message : String(e)}\n`);
    // A key that cannot be used (missing, unreadable, wrong, exposed, development keys refused) exits 2.
    process.exit(e instanceof KeyError ? 2 : 1);
  },
);
