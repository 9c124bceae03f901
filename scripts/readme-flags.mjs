// Rewrites README's flag tables (between the "flags:begin" and "flags:end" markers) from the commands' flag specs.
// Run after `npm run build` when a flag changes: node scripts/readme-flags.mjs (test/cli/readme-flags.spec.ts fails
// until README matches).
import { readFileSync, writeFileSync } from 'node:fs';
import { COMMANDS } from '../dist/cli/commands.js';
import { flagsMarkdown, replaceFlagTables } from '../dist/cli/usage.js';

const readme = new URL('../README.md', import.meta.url);
const text = readFileSync(readme, 'utf8');
const next = replaceFlagTables(text, flagsMarkdown(COMMANDS));
if (next !== text) writeFileSync(readme, next);
process.stdout.write(next === text ? 'README.md flag tables already up to date\n' : 'README.md flag tables rewritten\n');
