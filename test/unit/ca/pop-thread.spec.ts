import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readClientKey, type EcPoint } from '../../../ca/client-key.js';
import { popThreadRunning, startPopThread, stopPopThread, verifyOnPopThread } from '../../../ca/pop-thread.js';

const run = promisify(execFile);

function p256(): { point: EcPoint; prove: (name: string) => Buffer } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const read = readClientKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  assert.ok('point' in read, 'a P-256 key is read as a point to import');
  return { point: read.point, prove: (name) => sign('sha256', Buffer.from(name), privateKey) };
}

/** 300 checks, a third each verified, refused and off-curve, their expected verdicts beside them. */
function mixedChecks(): { point: EcPoint; name: string; proof: Buffer; want: string }[] {
  const keys = Array.from({ length: 5 }, p256);
  return Array.from({ length: 300 }, (_, i) => {
    const k = keys[i % keys.length]!;
    const name = `user${i}@example.com`;
    if (i % 3 === 0) return { point: k.point, name, proof: k.prove(name), want: 'verified' };
    if (i % 3 === 1) return { point: k.point, name, proof: k.prove(`${name}.`), want: 'refused' };
    const y = Buffer.from(k.point.y, 'base64url');
    y[y.length - 1] = (y[y.length - 1] as number) ^ 1;
    return { point: { ...k.point, y: y.toString('base64url') }, name, proof: k.prove(name), want: 'not-on-curve' };
  });
}

describe('ca/pop-thread: proofs of possession checked on a thread of their own', () => {
  after(() => stopPopThread());

  it('answers each of many concurrent checks with its own verdict', async () => {
    const checks = mixedChecks();
    const got = await Promise.all(checks.map((c) => verifyOnPopThread(c.point, c.name, c.proof)));
    assert.deepEqual(got, checks.map((c) => c.want));
  });

  it('answers the checks the thread had when it stops, and starts a new thread for the next ones', async () => {
    const checks = mixedChecks();
    const pending = checks.map((c) => verifyOnPopThread(c.point, c.name, c.proof));
    await stopPopThread(); // ends the thread with (some of) these checks still on it
    assert.deepEqual(await Promise.all(pending), checks.map((c) => c.want));
    const again = await Promise.all(checks.map((c) => verifyOnPopThread(c.point, c.name, c.proof)));
    assert.deepEqual(again, checks.map((c) => c.want));
  });

  it('starts the thread when told, before any check, and says whether it runs', async () => {
    await stopPopThread();
    assert.equal(popThreadRunning(), false);
    startPopThread();
    assert.equal(popThreadRunning(), true);
    startPopThread(); // a second call keeps the thread it has
    const k = p256();
    assert.equal(await verifyOnPopThread(k.point, 'me', k.prove('me')), 'verified');
    await stopPopThread();
    assert.equal(popThreadRunning(), false);
  });

  it('does not keep a process alive once its checks are answered', async () => {
    const module = fileURLToPath(new URL('../../../ca/pop-thread.js', import.meta.url));
    const k = p256();
    const script = `const { verifyOnPopThread } = await import(${JSON.stringify(module)});
      console.log(await verifyOnPopThread(${JSON.stringify(k.point)}, 'me', Buffer.from(${JSON.stringify(k.prove('me').toString('base64'))}, 'base64')));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    assert.equal(stdout.trim(), 'verified', 'the check was answered and the process then ended by itself');
    const started = `const { startPopThread } = await import(${JSON.stringify(module)}); startPopThread(); console.log('started');`;
    const idle = await run(process.execPath, ['--input-type=module', '-e', started], { timeout: 20_000 });
    assert.equal(idle.stdout.trim(), 'started', 'a thread started ahead of any check does not hold the process either');
  });
});
