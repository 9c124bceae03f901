// The layering checker `npm test` runs (dependency-cruiser with .dependency-cruiser.cjs) fails on a cycle and on a
// forbidden import, naming each rule: shown on a small tree that has one of each (test/fixtures/layering).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = process.cwd();
const FIXTURE = join(ROOT, 'test/fixtures/layering');

function cruise(cwd: string, ...folders: string[]): Promise<{ code: number; stdout: string }> {
  const bin = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...folders, '--config', join(ROOT, '.dependency-cruiser.cjs')], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: stdout + stderr });
    });
  });
}

describe('layering: the dependency checker in npm test', function () {
  this.timeout(60_000);

  it('fails on a cycle and on a forbidden import, naming both rules', async () => {
    const { code, stdout } = await cruise(FIXTURE, 'lib', 'oidc', 'ca');
    assert.notEqual(code, 0, stdout);
    assert.match(stdout, /error no-circular: lib\/clock\.ts → \s*lib\/format\.ts →\s*lib\/clock\.ts/);
    assert.match(stdout, /error oidc-imports-no-ca-ct-server: oidc\/principal\.ts → ca\/certificate\.ts/);
    assert.match(stdout, /2 dependency violations/);
  });

  it('passes a tree that keeps the directions (the same fixture without its oidc/ and its cycle)', async () => {
    const { code, stdout } = await cruise(FIXTURE, 'ca');
    assert.equal(code, 0, stdout);
    assert.match(stdout, /no dependency violations found/);
  });
});
