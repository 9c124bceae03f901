import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createCtClient, CtClientError, type CtClient } from '../../ct/client.js';
import { createCtRouter, createCtServer } from '../../ct/http.js';
import { ctRequestListener } from '../../ct/listen.js';
import { createLog, type CtLog } from '../../ct/log.js';
import { createMemoryStore } from '../../ct/memory-store.js';
import { EMPTY_ROOT, hashLeaf, rootOfLeafHashes, verifyConsistency, verifyInclusion } from '../../ct/merkle.js';
import { merkleTreeLeaf, parseMerkleTreeLeaf, serializeSct } from '../../ct/structures.js';
import { signedEntryForChain } from '../../ct/verify.js';
import { silentLogger } from '../../lib/log.js';
import { keySigner, type Signer } from '../../lib/signer.js';
import { CODE_SIGNING, logSigner, makeCert, makePki, name, newKey, POISON, type TestPki } from '../unit/ct/helpers.js';

function listen(listener: RequestListener): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(listener).listen(0, '127.0.0.1', () => resolve(server));
  });
}
const portOf = (s: Server): number => (s.address() as AddressInfo).port;

// The same answers from the log's listener (submissions in node:http, ct/submit-http.ts) and from its express app
// alone (which still answers every other spelling of the submission routes).
// The one visible difference: express puts a weak ETag on every answer, the node:http routes none.
const LISTENERS: [string, (log: CtLog) => RequestListener, { etag: boolean }][] = [
  ["the log's listener (ct/listen.ts)", (log) => ctRequestListener(log, { prefix: '/test', logger: silentLogger }), { etag: false }],
  ['the express app alone (createCtServer)', (log) => createCtServer(log, { prefix: '/test' }), { etag: true }],
];

for (const [label, listenerOf, exact] of LISTENERS)
describe(`CT log over HTTP: ${label}`, () => {
  let pki: TestPki;
  let signer: Signer;
  let log: CtLog;
  let server: Server;
  let base: string;
  let client: CtClient;

  before(async () => {
    pki = await makePki();
    signer = logSigner();
    log = createLog({ signer, roots: [pki.root.der], store: createMemoryStore() });
    server = await listen(listenerOf(log));
    base = `http://127.0.0.1:${portOf(server)}/test`;
    client = createCtClient({ url: base, logPublicKeySpki: signer.spki, timeoutMs: 5000 });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (path: string): Promise<Response> => fetch(`${base}/ct/v1/${path}`);
  const post = (path: string, body: string): Promise<Response> =>
    fetch(`${base}/ct/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('serves an empty tree, and refuses a consistency proof from it (RFC 6962 §2.1.2: 0 < first)', async () => {
    const sth = await client.getSth();
    assert.equal(sth.treeSize, 0);
    assert.ok(sth.rootHash.equals(EMPTY_ROOT));
    const res = await get('get-sth-consistency?first=0&second=0');
    assert.equal(res.status, 400);
    assert.match(await res.text(), /first must be at least 1/);
  });

  it('logs precertificates and certificates, and proves it', async () => {
    const precertChain = [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der, pki.root.der];
    const sct = await client.addPreChain(precertChain);
    assert.ok(serializeSct(sct).length >= 117);
    const sthOne = await client.getSth();
    assert.equal(sthOne.treeSize, 1);
    assert.ok(sthOne.timestamp >= sct.timestamp);

    for (let i = 0; i < 6; i++) await client.addChain([await pki.leaf(), pki.intermediate.der]);
    const again = await client.addPreChain(precertChain);
    assert.equal(again.timestamp, sct.timestamp);
    const sth = await client.getSth();
    assert.equal(sth.treeSize, 7);

    // An auditor rebuilds the leaf from (precert chain, SCT) and asks for its inclusion proof.
    const leafHash = hashLeaf(merkleTreeLeaf({ timestamp: sct.timestamp, entry: signedEntryForChain(precertChain, 'precert'), extensions: sct.extensions }));
    const proof = await client.getProofByHash(leafHash, sth.treeSize);
    assert.equal(proof.leafIndex, 0);
    assert.ok(verifyInclusion(proof.leafIndex, sth.treeSize, leafHash, proof.auditPath, sth.rootHash));

    const entries = await client.getEntries(0, 100);
    assert.equal(entries.length, 7);
    assert.ok(rootOfLeafHashes(entries.map((e) => hashLeaf(e.leafInput))).equals(sth.rootHash));
    assert.equal(parseMerkleTreeLeaf(entries[0]!.leafInput).entry.type, 'precert');
    assert.equal(parseMerkleTreeLeaf(entries[1]!.leafInput).entry.type, 'x509');

    const consistency = await client.getSthConsistency(1, 7);
    assert.ok(verifyConsistency(1, 7, sthOne.rootHash, sth.rootHash, consistency));
    assert.deepEqual(await client.getSthConsistency(7, 7), [], 'first = second: the empty proof');

    const ep = await (await get('get-entry-and-proof?leaf_index=2&tree_size=7')).json() as Record<string, unknown>;
    const epLeaf = Buffer.from(ep.leaf_input as string, 'base64');
    const path = (ep.audit_path as string[]).map((h) => Buffer.from(h, 'base64'));
    assert.ok(verifyInclusion(2, 7, hashLeaf(epLeaf), path, sth.rootHash));
    assert.deepEqual(await client.getRoots(), [pki.root.der]);
  });

  it('refuses forged and padded chains on both endpoints (400), and the tree does not grow', async () => {
    const sizeBefore = (await client.getSth()).treeSize;
    const { intermediate, root } = pki;
    const leaf = await pki.leaf();
    const precert = await pki.leaf({ trailing: [POISON] });
    const expiredLeaf = await pki.leaf({ notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
    // Signed by a leaf's key with the leaf's subject as issuer: what anyone holding one leaf can make.
    const forge = (trailing: Buffer[]) =>
      makeCert({
        subject: 'forged',
        issuerName: name('leaf'),
        issuerSigner: pki.leafSigner,
        subjectSpki: keySigner(newKey()).spki,
        ekus: [CODE_SIGNING],
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 50 * 365 * 86_400_000),
        trailing,
      });
    const forged = { 'add-chain': await forge([]), 'add-pre-chain': await forge([POISON]) };
    const own = { 'add-chain': leaf, 'add-pre-chain': precert };
    for (const endpoint of ['add-chain', 'add-pre-chain'] as const) {
      const shapes: [Buffer[], RegExp][] = [
        [[forged[endpoint], leaf, intermediate.der], /chain\[1\] is not a CA certificate/],
        [[forged[endpoint], leaf, intermediate.der, root.der], /chain\[1\] is not a CA certificate/],
        [[forged[endpoint], expiredLeaf, intermediate.der], /chain\[1\] is not a CA certificate/],
        [[own[endpoint], intermediate.der, ...Array.from({ length: 650 }, () => root.der)], /at most 10 are accepted/],
        [[own[endpoint], intermediate.der, root.der, root.der], /chain\[3\] repeats chain\[2\]/],
      ];
      for (const [chain, message] of shapes) {
        const res = await post(endpoint, JSON.stringify({ chain: chain.map((c) => c.toString('base64')) }));
        const text = await res.text();
        assert.equal(res.status, 400, `${endpoint} (${chain.length} certificates): ${text}`);
        assert.match(text, message, endpoint);
      }
    }
    assert.equal((await client.getSth()).treeSize, sizeBefore, 'nothing was logged');
  });

  it('speaks the RFC 6962 JSON shapes', async () => {
    const res = await post('add-chain', JSON.stringify({ chain: [(await pki.leaf()).toString('base64'), pki.intermediate.der.toString('base64')], extra: 1 }));
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['extensions', 'id', 'sct_version', 'signature', 'timestamp']);
    assert.equal(body.sct_version, 0);
    assert.equal(body.extensions, '');
    assert.equal(typeof body.timestamp, 'number');
    assert.match(body.signature as string, /^BAMA/);
    const sth = (await (await get('get-sth?unknown=1')).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sth).sort(), ['sha256_root_hash', 'timestamp', 'tree_head_signature', 'tree_size']);
    const one = await (await get('get-proof-by-hash?hash=' + encodeURIComponent(hashLeaf(Buffer.from((await (await get('get-entries?start=0&end=0')).json() as { entries: { leaf_input: string }[] }).entries[0]!.leaf_input, 'base64')).toString('base64')) + '&tree_size=1')).text();
    assert.equal(one, '{"leaf_index":0,"audit_path":[]}');
  });

  it('answers bad parameters with readable 4xx errors', async () => {
    const plainLeaf = await pki.leaf();
    const cases: [Promise<Response>, number, RegExp][] = [
      [get('get-entries?start=abc&end=3'), 400, /start/],
      [get('get-entries?start=3&end=1'), 400, /start/],
      [get('get-entries?start=-1&end=1'), 400, /start/],
      [get('get-entries?start=500&end=600'), 400, /beyond/],
      [get('get-entries'), 400, /missing parameter start/],
      [get('get-sth-consistency?first=1'), 400, /second/],
      [get('get-sth-consistency?first=3&second=2'), 400, /smaller/],
      [get('get-sth-consistency?first=1&second=9999'), 400, /beyond/],
      [get('get-sth-consistency?first=0&second=1'), 400, /first must be at least 1/],
      [get('get-proof-by-hash?hash=notbase64!&tree_size=1'), 400, /base64/],
      [get(`get-proof-by-hash?hash=${encodeURIComponent(Buffer.alloc(32).toString('base64'))}&tree_size=0`), 400, /tree_size/],
      [get(`get-proof-by-hash?hash=${encodeURIComponent(Buffer.alloc(32).toString('base64'))}&tree_size=1`), 404, /no leaf/],
      [get('get-entry-and-proof?leaf_index=5&tree_size=5'), 400, /leaf_index/],
      [get('add-chain'), 405, /method/],
      [post('get-sth', '{}'), 405, /method/],
      [post('add-chain', '{"chain":'), 400, /malformed JSON/],
      [post('add-chain', '{"chain":[]}'), 400, /at least one/],
      [post('add-chain', '{"chain":["%%%"]}'), 400, /base64/],
      [post('add-pre-chain', JSON.stringify({ chain: [plainLeaf.toString('base64'), pki.intermediate.der.toString('base64')] })), 400, /precert mismatch/],
      [post('add-chain', JSON.stringify({ chain: [pki.root.der.toString('base64')] })), 400, /extended key usage/],
      [post('add-chain', JSON.stringify({ chain: ['A'.repeat(600_000)] })), 413, /exceeds/],
      [get('nothing-here'), 404, /not found/],
      [post('add-chain', '"a string"'), 400, /malformed JSON/],
      [post('add-pre-chain', '{"chain":[1]}'), 400, /chain\[0\] must be a base64 string/],
      [post('add-pre-chain', `{"chain":${JSON.stringify(Array.from({ length: 11 }, () => 'AA=='))}}`), 400, /at most 10 are accepted/],
    ];
    for (const [response, status, message] of cases) {
      const res = await response;
      const text = await res.text();
      assert.equal(res.status, status, `${res.url}: ${text}`);
      assert.match(text, message, res.url);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    }
  });

  it('answers other spellings of the submission routes as express routes them, and HEAD with 405', async () => {
    const body = JSON.stringify({ chain: [(await pki.leaf()).toString('base64'), pki.intermediate.der.toString('base64')] });
    for (const [path, sent] of [['add-chain', body], ['add-pre-chain', '{}']] as const) {
      const res = await post(path, sent);
      assert.equal(res.headers.get('etag') !== null, exact.etag, `${path}: answered by ${exact.etag ? 'express' : 'ct/submit-http.ts'}`);
    }
    for (const path of ['add-chain/', 'ADD-CHAIN', 'add-chain?x=1']) {
      const res = await post(path, body);
      assert.equal(res.status, 200, path);
      assert.deepEqual(Object.keys((await res.json()) as object).sort(), ['extensions', 'id', 'sct_version', 'signature', 'timestamp'], path);
    }
    const head = await fetch(`${base}/ct/v1/add-pre-chain`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers.get('allow')], [405, 'POST']);
    const wrongPrefix = await fetch(`${base.replace(/\/test$/, '/other')}/ct/v1/add-chain`, { method: 'POST', body });
    assert.equal(wrongPrefix.status, 404);
  });

  it('mounts the router under any prefix of another app', async () => {
    const app = express();
    app.use('/logs/one', createCtRouter(log));
    const other = await listen(app);
    try {
      const viaRouter = await createCtClient({ url: `http://127.0.0.1:${portOf(other)}/logs/one/`, logPublicKeySpki: signer.spki }).getSth();
      assert.equal(viaRouter.treeSize, (await client.getSth()).treeSize);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('client failures are clear errors', async () => {
    const wrongKey = createCtClient({ url: base, logPublicKeySpki: logSigner().spki });
    const chain = [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der];
    await assert.rejects(wrongKey.addPreChain(chain), /does not verify/);
    await assert.rejects(client.addPreChain([await pki.leaf(), pki.intermediate.der]), (e: unknown) => e instanceof CtClientError && e.status === 400 && /HTTP 400/.test(e.message));
    const closed = await listen(express());
    const port = portOf(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(createCtClient({ url: `http://127.0.0.1:${port}` }).addPreChain(chain), /cannot reach/);
    const junk = express().use((_req, res) => void res.json({ sct_version: 0, id: 'x' }));
    const junkServer = await listen(junk);
    try {
      await assert.rejects(createCtClient({ url: `http://127.0.0.1:${portOf(junkServer)}` }).addPreChain(chain), /bad response/);
    } finally {
      await new Promise<void>((resolve) => junkServer.close(() => resolve()));
    }
  });
});
