// lib/signer.ts keySigner: which keys sign on libuv's pool and which on the calling thread, and that both give
// signatures that verify under the scheme the signer names.
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { keySigner, schemeFor, signsOnPool } from '../../../lib/signer.js';

const keys: Record<string, KeyObject> = {
  'P-256': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  'P-384': generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
  'P-521': generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey,
  'RSA-2048': generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  Ed25519: generateKeyPairSync('ed25519').privateKey,
};

/** Whether `promise` has settled once the microtask queue has run out, i.e. before the event loop's next phase. */
async function settlesWithinMicrotasks(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  const result = settled;
  await promise;
  return result;
}

describe('lib/signer keySigner: where each key signs', () => {
  it('signs with P-256 and Ed25519 keys on the calling thread, with P-384, P-521 and RSA keys on the pool', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, signsOnPool(key)])),
      { 'P-256': false, 'P-384': true, 'P-521': true, 'RSA-2048': true, Ed25519: false },
    );
  });

  it("a pool signature settles in a later turn of the event loop; the calling thread's within the same turn", async () => {
    const data = Buffer.from('tbs');
    assert.equal(await settlesWithinMicrotasks(keySigner(keys['P-256']!).sign(data)), true);
    assert.equal(await settlesWithinMicrotasks(keySigner(keys['P-384']!).sign(data)), false);
  });

  for (const [name, key] of Object.entries(keys))
    it(`a ${name} signature verifies with the signer's public key and scheme`, async () => {
      const signer = keySigner(key);
      const data = Buffer.from(`to be signed by ${name}`);
      const signature = await signer.sign(data);
      const publicKey = { key: signer.spki, format: 'der', type: 'spki', dsaEncoding: 'der' } as const;
      assert.equal(verify(schemeFor(key).hash, data, publicKey, signature), true);
      assert.equal(verify(schemeFor(key).hash, Buffer.from('something else'), publicKey, signature), false);
    });

  it('signs what the data held when sign() was called, though the caller reuses the buffer at once', async () => {
    const signer = keySigner(keys['P-384']!);
    const data = Buffer.from('first contents');
    const pending = signer.sign(data);
    data.fill(0);
    const publicKey = { key: signer.spki, format: 'der', type: 'spki', dsaEncoding: 'der' } as const;
    assert.equal(verify('sha384', Buffer.from('first contents'), publicKey, await pending), true);
  });

  it('a pool signature that cannot be made rejects its promise instead of throwing at the caller', async () => {
    const signer = keySigner(keys['RSA-2048']!);
    let pending: Promise<Buffer> | undefined;
    assert.doesNotThrow(() => (pending = signer.sign(42 as unknown as Uint8Array)));
    await assert.rejects(pending!, TypeError);
  });
});
