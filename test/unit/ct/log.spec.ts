import assert from 'node:assert/strict';
import { leafThreadRunning, stopLeafThread } from '../../../ct/leaf-thread.js';
import { createLog, MAX_GET_ENTRIES, type CtLog } from '../../../ct/log.js';
import { createMemoryStore } from '../../../ct/memory-store.js';
import { CtError } from '../../../ct/errors.js';
import { hashLeaf, rootOfLeafHashes, verifyConsistency, verifyInclusion } from '../../../ct/merkle.js';
import { logIdFor, merkleTreeLeaf, parseMerkleTreeLeaf, x509ExtraData } from '../../../ct/structures.js';
import { signedEntryForChain, verifySct, verifySth } from '../../../ct/verify.js';
import type { LogStore } from '../../../ct/store.js';
import { keySigner, type Signer } from '../../../lib/signer.js';
import { generateKeyPairSync } from 'node:crypto';
import { CODE_SIGNING, logSigner, makeCert, makePki, POISON, type TestPki } from './helpers.js';

const status = (code: number) => (e: unknown) => e instanceof CtError && e.status === code;

describe('ct/log', () => {
  let pki: TestPki;
  let signer: Signer;
  let store: LogStore;
  let log: CtLog;
  let nowMs: number;

  beforeEach(async () => {
    pki ??= await makePki();
    signer = logSigner();
    store = createMemoryStore();
    nowMs = Date.now();
    log = createLog({ signer, roots: [pki.root.der], store, clock: () => new Date(nowMs) });
  });

  it('refuses a log key that is not ECDSA P-256', () => {
    const rsa = keySigner(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    assert.throws(() => createLog({ signer: rsa, roots: [], store }), /P-256/);
  });

  it('issues an SCT for a precert that verifies over the precert leaf and integrates it', async () => {
    const chain = [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der, pki.root.der];
    const sct = await log.addPreChain(chain);
    assert.ok(sct.logId.equals(logIdFor(signer.spki)));
    assert.equal(sct.timestamp, nowMs);
    assert.equal(sct.extensions.length, 0);
    assert.ok(verifySct(sct, signedEntryForChain(chain, 'precert'), signer.spki));
    const [entry] = await log.getEntries(0, 0);
    const leaf = merkleTreeLeaf({ timestamp: sct.timestamp, entry: signedEntryForChain(chain, 'precert'), extensions: Buffer.alloc(0) });
    assert.ok(entry!.leafInput.equals(leaf));
    const proof = await log.getProofByHash(hashLeaf(leaf), 1);
    assert.deepEqual(proof, { leafIndex: 0, auditPath: [] });
  });

  it('stores extra_data with the root appended when the submitter omitted it', async () => {
    const leaf = await pki.leaf();
    await log.addChain([leaf, pki.intermediate.der]);
    const [entry] = await log.getEntries(0, 0);
    assert.ok(entry!.extraData.equals(x509ExtraData([pki.intermediate.der, pki.root.der])));
  });

  it('stores the verified path, not what was sent after the accepted root; duplicates still map to one entry', async () => {
    const other = await makePki();
    const leaf = await pki.leaf();
    const first = await log.addChain([leaf, pki.intermediate.der, pki.root.der, other.root.der, other.intermediate.der]);
    const again = await log.addChain([leaf, pki.intermediate.der]);
    assert.equal(again.timestamp, first.timestamp);
    assert.equal((await log.getSth()).treeSize, 1);
    const [entry] = await log.getEntries(0, 0);
    assert.ok(entry!.extraData.equals(x509ExtraData([pki.intermediate.der, pki.root.der])));
  });

  it('deduplicates: same timestamp, no new leaf, still a valid SCT', async () => {
    const chain = [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der];
    const first = await log.addPreChain(chain);
    nowMs += 5000;
    const again = await log.addPreChain([...chain, pki.root.der]);
    assert.equal(again.timestamp, first.timestamp);
    assert.ok(verifySct(again, signedEntryForChain(chain, 'precert'), signer.spki));
    assert.equal((await log.getSth()).treeSize, 1);
    // the same certificate as a final cert (add-chain) is a different entry
    const plain = await pki.leaf();
    await log.addChain([plain, pki.intermediate.der]);
    await log.addChain([plain, pki.intermediate.der]);
    assert.equal((await log.getSth()).treeSize, 2);
  });

  it('serializes concurrent submissions into a consistent tree', async () => {
    const chains = await Promise.all(Array.from({ length: 20 }, async () => [await pki.leaf(), pki.intermediate.der]));
    const scts = await Promise.all(chains.map((c) => log.addChain(c)));
    const again = await Promise.all(chains.map((c) => log.addChain(c)));
    assert.deepEqual(again.map((s) => s.timestamp), scts.map((s) => s.timestamp));
    const entries = await log.getEntries(0, 100);
    assert.equal(entries.length, 20);
    const sth = await log.getSth();
    assert.ok(rootOfLeafHashes(entries.map((e) => hashLeaf(e.leafInput))).equals(sth.rootHash));
  });

  it('with leaf signatures on a thread, starts the thread as it opens, not on the first submission', async () => {
    await stopLeafThread();
    createLog({ signer, roots: [pki.root.der], store, clock: () => new Date(nowMs) });
    assert.equal(leafThreadRunning(), false, 'a log that checks leaves on its event loop starts no thread');
    createLog({ signer, roots: [pki.root.der], store, clock: () => new Date(nowMs), leafSignaturesOnThread: true });
    assert.equal(leafThreadRunning(), true);
  });

  it('with leaf signatures on a thread, logs what verifies and refuses a forged leaf under a chain it verified before', async () => {
    const threaded = createLog({ signer, roots: [pki.root.der], store, clock: () => new Date(nowMs), leafSignaturesOnThread: true });
    const stranger = logSigner();
    const forged = (): Promise<Buffer> =>
      makeCert({ subject: 'leaf', issuerName: pki.intermediate.name, issuerSigner: stranger, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], trailing: [POISON] });
    // The first submission verifies the chain above the leaf; every forgery then meets it cached, and its leaf's
    // signature is what the thread refuses.
    const submissions = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => ({ chain: [i % 3 === 1 ? await forged() : await pki.leaf({ trailing: [POISON] }), pki.intermediate.der, pki.root.der], good: i % 3 !== 1 })),
    );
    const results = await Promise.allSettled(submissions.map((s) => threaded.addPreChain(s.chain)));
    results.forEach((r, i) => {
      const s = submissions[i]!;
      if (s.good) assert.ok(r.status === 'fulfilled' && verifySct(r.value, signedEntryForChain(s.chain, 'precert'), signer.spki), `submission ${i} logged`);
      else assert.ok(r.status === 'rejected' && status(400)(r.reason) && /chain\[0\] is not signed by chain\[1\]/.test((r.reason as Error).message), `submission ${i} refused`);
    });
    assert.equal(await store.size(), 20, 'only the leaves that verify are in the tree');
  });

  it('signs STHs with strictly increasing timestamps never below an SCT timestamp', async () => {
    const empty = await log.getSth();
    assert.equal(empty.treeSize, 0);
    assert.ok(verifySth(empty, signer.spki));
    assert.equal((await log.getSth()).timestamp, empty.timestamp, 'an unchanged tree keeps its STH');
    nowMs += 10;
    await log.addChain([await pki.leaf(), pki.intermediate.der]);
    nowMs -= 1000; // the clock steps back
    const sth = await log.getSth();
    assert.equal(sth.treeSize, 1);
    assert.equal(sth.timestamp, nowMs + 1000);
    assert.ok(verifySth(sth, signer.spki));
    await log.addChain([await pki.leaf(), pki.intermediate.der]);
    const next = await log.getSth();
    assert.equal(next.timestamp, sth.timestamp + 1);
    const proof = await log.getConsistency(1, 2);
    assert.ok(verifyConsistency(1, 2, sth.rootHash, next.rootHash, proof));
  });

  it('answers proofs and validates their parameters', async () => {
    const leaves: Buffer[] = [];
    for (let i = 0; i < 5; i++) await log.addChain([await pki.leaf(), pki.intermediate.der]);
    for (const e of await log.getEntries(0, 4)) leaves.push(hashLeaf(e.leafInput));
    const sth = await log.getSth();
    const p = await log.getProofByHash(leaves[3]!, 5);
    assert.ok(verifyInclusion(3, 5, leaves[3]!, p.auditPath, sth.rootHash));
    const ep = await log.getEntryAndProof(3, 5);
    assert.deepEqual(ep.auditPath, p.auditPath);
    await assert.rejects(log.getConsistency(0, 5), status(400), 'no proof from the empty tree (RFC 6962 §2.1.2: 0 < m)');
    await assert.rejects(log.getConsistency(0, 0), status(400));
    assert.deepEqual(await log.getConsistency(5, 5), []);
    await assert.rejects(log.getProofByHash(leaves[3]!, 3), status(404));
    await assert.rejects(log.getProofByHash(leaves[3]!, 6), status(404));
    await assert.rejects(log.getProofByHash(Buffer.alloc(32), 5), status(404));
    await assert.rejects(log.getProofByHash(Buffer.alloc(31), 5), status(400));
    await assert.rejects(log.getProofByHash(leaves[0]!, 0), status(400));
    await assert.rejects(log.getConsistency(3, 2), status(400));
    await assert.rejects(log.getConsistency(2, 6), status(400));
    await assert.rejects(log.getEntries(5, 6), status(400));
    await assert.rejects(log.getEntries(3, 2), status(400));
    await assert.rejects(log.getEntries(-1, 2), status(400));
    await assert.rejects(log.getEntryAndProof(5, 5), status(400));
    await assert.rejects(log.getEntryAndProof(0, 6), status(400));
    await assert.rejects(log.getEntryAndProof(0, 0), status(400));
    assert.equal((await log.getEntries(3, 100)).length, 2);
  });

  it('caps get-entries at 1000, aligned, and never returns an empty page', async () => {
    const batch = Array.from({ length: 2500 }, (_, i) => {
      const leafInput = merkleTreeLeaf({ timestamp: i, entry: { type: 'x509', certificate: Buffer.from([i & 0xff, i >> 8]) }, extensions: Buffer.alloc(0) });
      return { leafInput, extraData: Buffer.alloc(3), leafHash: hashLeaf(leafInput), dedupKey: Buffer.from(`k${i}`), timestamp: i };
    });
    await store.sequence(batch);
    const page = await log.getEntries(10, 5000);
    assert.equal(page.length, 990);
    assert.equal(parseMerkleTreeLeaf(page[0]!.leafInput).timestamp, 10);
    assert.equal((await log.getEntries(1000, 5000)).length, MAX_GET_ENTRIES);
    assert.equal((await log.getEntries(2400, 5000)).length, 100);
    assert.equal((await log.getEntries(2499, 2499)).length, 1);
    assert.equal((await log.getSth()).timestamp >= 2499, true);
  });

  it('lists its roots', () => {
    assert.deepEqual(log.getRoots(), [pki.root.der]);
  });
});
