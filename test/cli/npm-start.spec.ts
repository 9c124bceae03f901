// `npm start` leaves no orphan: its script execs node, so the SIGTERM npm forwards reaches fulgor (which drains and
// exits, and npm with it); npm does not forward SIGHUP and dies of it, and fulgor, seeing npm gone, stops too.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv } from '../helpers/cli-process.js';
import { exited, until } from '../helpers/serve-process.js';

/** True while `pid` runs (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

describe('cli: npm start and signals', function () {
  this.timeout(180_000);
  let dir: string;
  const started: number[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-npm-start-'));
  });
  after(() => {
    // A server these tests started that is still there (a failed test) is stopped by its pid.
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function npmStart(): Promise<{ npm: ChildProcess; fulgorPid: number; output: () => string }> {
    const npm = spawn('npm', ['start', '--', '--port', '0', '--ct-port', '0', '--ct-storage', 'memory', '--keys-dir', join(dir, 'keys')], {
      cwd: process.cwd(),
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const early = exited(npm).then(({ code }) => Promise.reject(new Error(`npm start exited with ${code}: ${out}`)));
    const pid = Number(await Promise.race([until('npm start to serve', () => /Fulgor CA listening on \S+ .*pid (\d+)/.exec(out)?.[1], 150_000), early]));
    started.push(pid);
    return { npm, fulgorPid: pid, output: () => out };
  }

  it('the server is npm\'s own child (the script execs node); SIGTERM to npm drains it and both exit 0', async () => {
    const { npm, fulgorPid, output } = await npmStart();
    const stat = readFileSync(`/proc/${fulgorPid}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), npm.pid, 'no shell between npm and fulgor');
    npm.kill('SIGTERM');
    const { code } = await exited(npm);
    await until('fulgor to exit', () => (alive(fulgorPid) ? undefined : true), 15_000);
    assert.equal(code, 0);
    assert.match(output(), /"msg":"stopping: no new connections; in-flight requests may finish","signal":"SIGTERM"/);
    assert.match(output(), /"msg":"stopped"/);
  });

  it('SIGHUP to npm (which npm does not forward) does not orphan the server: it stops gracefully once npm is gone', async () => {
    const { npm, fulgorPid, output } = await npmStart();
    npm.kill('SIGHUP');
    await exited(npm);
    await until('fulgor to exit', () => (alive(fulgorPid) ? undefined : true), 15_000);
    assert.match(output(), /"msg":"stopping: no new connections; in-flight requests may finish","signal":"npm exited"/);
  });
});
