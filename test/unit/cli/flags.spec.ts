// cli/flags.ts: strict parsing against a command's flag specs, the environment beneath the command line, aliases,
// repeatable flags, and the defaults beneath everything (the process-level behaviour is in test/cli/commands.spec.ts).
import assert from 'node:assert/strict';
import { bool, envName, list, parseCommandLine, str, suggest, UsageError, withDefaults, type FlagSpecs } from '../../../cli/flags.js';

const SPECS: FlagSpecs = {
  dev: bool('development mode'),
  port: str('PORT', 'the port', '8080', ['http-port']),
  'ct-log-url': str('URL', 'an external log'),
  claim: list('NAME=VALUE', 'a claim'),
};

describe('cli/flags: parseCommandLine', () => {
  it('reads --name value, --name=value, booleans, aliases (under the canonical name) and repeatable flags', () => {
    assert.deepEqual(parseCommandLine(SPECS, ['--dev', '--http-port', '9', '--ct-log-url=http://x/-y', '--claim', 'a=1', '--claim', 'b=2']), {
      dev: true,
      port: '9',
      'ct-log-url': 'http://x/-y',
      claim: ['a=1', 'b=2'],
    });
  });

  it('reads a one-letter form where the spec has one (serve -c FILE, as Fulcio)', () => {
    const specs: FlagSpecs = { 'server-config': { ...str('FILE', 'the server config', undefined, ['config']), short: 'c' } };
    assert.deepEqual(parseCommandLine(specs, ['-c', 'server.yaml']), { 'server-config': 'server.yaml' });
    assert.deepEqual(parseCommandLine(specs, ['--config=server.yaml']), { 'server-config': 'server.yaml' });
    assert.throws(() => parseCommandLine(specs, ['-c', 'a', '--server-config', 'b']), /-c and --server-config are the same flag/);
  });

  it('refuses an unknown flag naming the closest one, and says nothing when none is close', () => {
    assert.throws(() => parseCommandLine(SPECS, ['--prot', '1']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag --prot (did you mean --port?)');
    assert.throws(() => parseCommandLine(SPECS, ['--ct-log']), /unknown flag --ct-log \(did you mean --ct-log-url\?\)/);
    assert.throws(() => parseCommandLine(SPECS, ['--zzzzzzzz']), /^UsageError: unknown flag --zzzzzzzz$/);
  });

  it('refuses missing values, values for booleans, stray arguments and repeats of a one-value flag', () => {
    assert.throws(() => parseCommandLine(SPECS, ['--port']), /^UsageError: --port needs a value$/);
    assert.throws(() => parseCommandLine(SPECS, ['--port', '--dev']), /--port needs a value \(the next argument is a flag/);
    assert.throws(() => parseCommandLine(SPECS, ['--dev=1']), /--dev takes no value/);
    assert.throws(() => parseCommandLine(SPECS, ['x']), /unexpected argument "x"/);
    assert.throws(() => parseCommandLine(SPECS, ['--port', '1', '--port', '1']), /--port was given more than once/);
    assert.throws(() => parseCommandLine(SPECS, ['--port', '1', '--http-port', '1']), /--port and --http-port are the same flag/);
  });

  it('reads FULGOR_<NAME> for flags not on the command line: booleans true/false/1/0, lists one per line, empty is unset', () => {
    const env = { FULGOR_DEV: '1', FULGOR_PORT: '7', FULGOR_CT_LOG_URL: '', FULGOR_CLAIM: 'a=1\nb=2\n' };
    assert.deepEqual(parseCommandLine(SPECS, [], env), { dev: true, port: '7', claim: ['a=1', 'b=2'] });
    assert.deepEqual(parseCommandLine(SPECS, ['--port', '9', '--claim', 'c=3'], env), { dev: true, port: '9', claim: ['c=3'] });
    assert.equal(parseCommandLine(SPECS, [], { FULGOR_DEV: 'FALSE' })['dev'], false);
    assert.throws(() => parseCommandLine(SPECS, [], { FULGOR_DEV: 'yes' }), /FULGOR_DEV must be true, false, 1 or 0 \(got "yes"\)/);
    assert.equal(parseCommandLine(SPECS, [], { FULGOR_HELP: 'true' })['help'], undefined, '--help is never read from the environment');
  });

  it('fills in defaults only where nothing (command line, environment, a layer) gave a value', () => {
    assert.equal(withDefaults(SPECS, {})['port'], '8080');
    assert.equal(withDefaults(SPECS, { port: '1' })['port'], '1');
    assert.equal(withDefaults(SPECS, {})['ct-log-url'], undefined);
  });

  it('names variables FULGOR_ + upper snake case; suggests by edit distance or prefix', () => {
    assert.equal(envName('ct-log-url'), 'FULGOR_CT_LOG_URL');
    assert.equal(suggest('keys', ['keys-dir', 'port']), 'keys-dir');
    assert.equal(suggest('qqqq', ['keys-dir', 'port']), undefined);
  });
});
