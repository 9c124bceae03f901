// One writer per file store, whatever the pid namespaces: two real `fulgor ct serve` processes, each pid 1 in its own
// pid namespace (as two containers on one volume during a rolling update), are pointed at one directory. The second
// must refuse to start, naming the holder; once the holder is SIGKILLed its lock is free at once. Runs the CLI under
// `unshare --pid --fork --mount-proc` (root on Linux); skipped, with the reason printed, where that is not possible.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { loadLogKeys } from '../../config/keys-dir.js';
import { createCtClient } from '../../ct/client.js';
import { certToPem } from '../../lib/pem.js';
import { startLog, type LogProcess } from '../helpers/ct-process.js';
import { makePki } from '../unit/ct/helpers.js';

/** Each process gets a fresh pid namespace (it is pid 1 there) and is SIGKILLed if the unshare wrapper dies. */
const NEW_PID_NAMESPACE = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];

/** Why this machine cannot run processes in new pid namespaces, or undefined when it can. */
function pidNamespaceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `pid namespaces are Linux only (this is ${process.platform})`;
  const probe = spawnSync(NEW_PID_NAMESPACE[0]!, [...NEW_PID_NAMESPACE.slice(1), 'sh', '-c', 'echo $$'], { encoding: 'utf8' });
  if (probe.error) return `${NEW_PID_NAMESPACE[0]} cannot run: ${probe.error.message}`;
  if (probe.status !== 0 || probe.stdout.trim() !== '1')
    return `\`${NEW_PID_NAMESPACE.join(' ')}\` failed (needs root or user namespaces): ${probe.stderr.trim() || `exit ${probe.status}`}`;
  return undefined;
}

/** The host pid of the wrapper's one child: the `node` process that is pid 1 inside the namespace. */
function namespacedChild(wrapper: LogProcess): number {
  const pid = wrapper.child.pid!;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(children.length, 1, `unshare (${pid}) has one child`);
  return Number(children[0]);
}

describe('CT log file store: one writer across pid namespaces (real processes under unshare)', function () {
  this.timeout(120_000);
  let work: string;
  const running: LogProcess[] = [];

  before(function () {
    const why = pidNamespaceUnavailable();
    if (why) {
      console.log(`    [ct-file-lock] SKIPPED: ${why}`);
      this.skip();
    }
  });
  after(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses a second log on the directory, naming the holder (pid 1 on its host); a killed holder frees it at once', async () => {
    work = await mkdtemp(join(tmpdir(), 'fulgor-ct-lock-'));
    const pki = await makePki({});
    const keysDir = join(work, 'keys');
    const dataDir = join(work, 'ct-data');
    const rootsPem = join(work, 'roots.pem');
    await writeFile(rootsPem, certToPem(pki.root.der));
    await createMissingDevKeys(keysDir);
    const spki = loadLogKeys(keysDir).ctPublicKey!;
    const start = async (): Promise<LogProcess> => {
      const p = await startLog(dataDir, keysDir, rootsPem, { wrapper: NEW_PID_NAMESPACE });
      running.push(p);
      return p;
    };

    const holder = await start();
    const refused = await start().then(
      () => assert.fail('a second log process (also pid 1) started on a directory another process is writing'),
      (e: Error) => e.message,
    );
    const holderInfo = JSON.parse(await readFile(join(dataDir, 'LOCK'), 'utf8')) as { pid: number; hostname: string };
    assert.equal(holderInfo.pid, 1, 'the holder is pid 1 in its namespace');
    assert.match(refused, /exited \(\d+\) before listening/);
    assert.ok(refused.includes(`in use by process 1 on host ${holderInfo.hostname} (holding it since `), refused);
    assert.match(refused, /two processes must never write one log/);
    const sth = await createCtClient({ url: holder.url, logPublicKeySpki: spki }).getSth();
    assert.equal(sth.treeSize, 0, 'the holder still serves its log');

    const exited = new Promise<void>((r) => holder.child.once('exit', () => r()));
    process.kill(namespacedChild(holder), 'SIGKILL');
    await exited; // unshare exits only after reaping its child: the holder's descriptors are closed

    const next = await start();
    assert.match(next.stderr(), /previous holder ended without closing the store/);
    const after = await createCtClient({ url: next.url, logPublicKeySpki: spki }).getSth();
    assert.equal(after.treeSize, 0);
    // A clean stop (SIGTERM to the log itself: unshare ignores it) closes the store, which empties LOCK.
    const stopped = new Promise<void>((r) => next.child.once('exit', () => r()));
    process.kill(namespacedChild(next), 'SIGTERM');
    await stopped;
    assert.equal(await readFile(join(dataDir, 'LOCK'), 'utf8'), '');
  });
});
