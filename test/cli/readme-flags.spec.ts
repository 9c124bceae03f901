// README's flag tables are generated from the commands' flag specs (scripts/readme-flags.mjs); this keeps them true.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMANDS } from '../../cli/index.js';
import { envName } from '../../cli/flags.js';
import { flagsMarkdown, replaceFlagTables } from '../../cli/usage.js';

describe('cli: README lists every command\'s flags and environment variables', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('the tables between the flags markers are exactly what the specs generate (run `node scripts/readme-flags.mjs` after a flag change)', () => {
    assert.equal(replaceFlagTables(readme, flagsMarkdown(COMMANDS)), readme);
  });

  it('names every command, flag, alias and FULGOR_* variable', () => {
    for (const cmd of COMMANDS) {
      assert.ok(readme.includes(`#### \`fulgor ${cmd.name}\``), cmd.name);
      for (const [name, spec] of Object.entries(cmd.flags)) {
        for (const n of [name, ...(spec.aliases ?? [])]) assert.ok(readme.includes(`\`--${n}`), `--${n} of ${cmd.name}`);
        assert.ok(readme.includes(`\`${envName(name)}\``), envName(name));
      }
    }
  });
});
