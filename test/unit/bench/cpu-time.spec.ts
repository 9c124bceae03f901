import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { processTreeCpuMs, runQueueWaits, waitedMs } from '../../../bench/cpu-time.js';

const hasSchedstat = existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`);

describe('bench/cpu-time: what the server spent and waited for', function () {
  before(function () {
    if (!hasSchedstat) this.skip(); // not Linux, or a kernel without schedstat: the bench shows "–"
  });

  it("reads a wait for each thread of a process, a worker thread's too, and counts only threads read both times", async () => {
    const before = runQueueWaits(process.pid);
    assert.ok(before?.has(`${process.pid}/${process.pid}`), 'the main thread is listed');
    const worker = new Worker('const end = Date.now() + 150; while (Date.now() < end);', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    const during = runQueueWaits(process.pid)!;
    const added = [...during.keys()].filter((t) => !before!.has(t));
    assert.ok(added.length >= 1, 'the worker thread appears');
    await new Promise((resolve) => worker.once('exit', resolve));
    const after = runQueueWaits(process.pid)!;
    for (const t of added) assert.ok(!after.has(t), 'the worker thread is gone');
    const waited = waitedMs(before!, after);
    assert.ok(waited >= 0 && waited < 10_000, `a plausible wait: ${waited} ms`);
    // A thread present only in the later reading adds nothing: the wait is the change over the threads in both.
    assert.equal(waitedMs(new Map([['1/1', 5e6]]), new Map([['1/1', 7e6], ['1/2', 9e9]])), 2);
  });

  it('reads a process tree, and nothing for a process that does not exist', () => {
    const tree = runQueueWaits(process.pid, true)!;
    assert.ok([...tree.keys()].every((k) => /^\d+\/\d+$/.test(k)));
    assert.equal(runQueueWaits(2 ** 22 + 12345), undefined);
    assert.equal(processTreeCpuMs(2 ** 22 + 12345), undefined);
    assert.ok((processTreeCpuMs(process.pid) ?? -1) >= 0);
  });
});
