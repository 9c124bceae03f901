// `fulgor ca rotate` as a real process: both modes (a new issuing CA signed by the offline root; an imported chain
// for a key `ca csr` made), what moves where, and the refusals that leave the active CA untouched.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeys } from '../../config/keys-dir.js';
import { createIssuingCa } from '../../ca/issuing-ca.js';
import { OID } from '../../ca/oids.js';
import { certToPem, parsePemBlocks } from '../../lib/pem.js';
import { openSigner } from '../../signer/index.js';
import { fulgor } from '../helpers/cli-process.js';
import { testRoot, testSubCa } from '../helpers/enterprise-ca.js';
import { x509 } from '../helpers/x509.js';
import { parse, parseAllDocuments } from 'yaml';

const certs = (path: string) => parsePemBlocks(readFileSync(path, 'utf8')).map((b) => b.der);
const fp16 = (der: Buffer) => createHash('sha256').update(der).digest('hex').slice(0, 16);
const csrSpki = (path: string) => Buffer.from(new x509.Pkcs10CertificateRequest(readFileSync(path, 'utf8')).publicKey.rawData);

describe('cli: fulgor ca rotate', function () {
  this.timeout(120_000);
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-ca-rotate-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('--root-out: retires the active CA (chain, key, retired.json) and activates a new one signed by the root', async () => {
    const keys = join(work, 'a', 'keys');
    const offline = join(work, 'a', 'offline');
    assert.equal((await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', offline, '--org', 'Acme')).code, 0);
    const oldChain = certs(join(keys, 'intermediate-ca.pem'));
    const oldKey = readFileSync(join(keys, 'intermediate-ca.key.pem'));
    const before = Date.now();
    const res = await fulgor('ca', 'rotate', '--keys-dir', keys, '--root-out', offline);
    assert.equal(res.code, 0, res.stderr);

    const [entry, ...more] = readdirSync(join(keys, 'retired'));
    assert.deepEqual(more, []);
    assert.match(entry!, new RegExp(`^\\d{8}T\\d{6}Z-${fp16(oldChain[0]!)}$`));
    const retiredDir = join(keys, 'retired', entry!);
    assert.deepEqual(readdirSync(retiredDir).sort(), ['intermediate-ca.key.pem', 'intermediate-ca.pem', 'retired.json'], 'same root: no root-ca.pem copy');
    assert.deepEqual(readFileSync(join(retiredDir, 'intermediate-ca.key.pem')), oldKey, 'the old key is kept for the operator');
    const retiredAt = Date.parse(JSON.parse(readFileSync(join(retiredDir, 'retired.json'), 'utf8')).retiredAt);
    assert.ok(retiredAt >= before - 1000 && retiredAt <= Date.now());
    assert.match(res.stdout, new RegExp(`retired CA's key stays in ${join(retiredDir, 'intermediate-ca.key.pem')}.*back it up or destroy it`));
    assert.ok(!readdirSync(keys).some((f) => f.startsWith('.rotate')), 'no staging directory left');

    const loaded = loadKeys(keys);
    assert.deepEqual(loaded.retired.map((r) => r.chain), [[...oldChain, loaded.caChain[1]!]]);
    assert.notDeepEqual(loaded.caChain[0], oldChain[0]);
    assert.equal(new X509Certificate(loaded.caChain[0]!).issuer, new X509Certificate(loaded.caChain[1]!).subject);
    // The new chain is what the server accepts, with the new key in the active slot.
    createIssuingCa(loaded.caChain, await openSigner(join(keys, 'intermediate-ca.key.pem')));

    // trust export lists both: the active CA from its notBefore, the retired one until its last certificate expires.
    const out = join(work, 'a', 'trust');
    const exported = await fulgor('trust', 'export', '--keys-dir', keys, '--out', out);
    assert.equal(exported.code, 0, exported.stderr);
    const cas = JSON.parse(readFileSync(join(out, 'trusted_root.json'), 'utf8')).certificateAuthorities as { certChain: { certificates: { rawBytes: string }[] }; validFor: { start: string; end?: string } }[];
    const chainOf = (i: number) => cas[i]!.certChain.certificates.map((c) => Buffer.from(c.rawBytes, 'base64'));
    assert.equal(cas.length, 2);
    assert.deepEqual(chainOf(0), loaded.caChain);
    assert.deepEqual(cas[0]!.validFor, { start: new Date(new X509Certificate(loaded.caChain[0]!).validFrom).toISOString().replace('.000', '') });
    assert.deepEqual(chainOf(1), loaded.retired[0]!.chain);
    assert.deepEqual(cas[1]!.validFor, {
      start: new Date(new X509Certificate(oldChain[0]!).validFrom).toISOString().replace('.000', ''),
      end: new Date(retiredAt + 600_000).toISOString().replace('.000', ''),
    });
    // The other consumers get the retired CA too: cosign's root file, policy-controller's sigstoreKeys, Kyverno's roots.
    const pems = (text: string) => parsePemBlocks(text).map((b) => b.der);
    const bundle = pems(readFileSync(join(out, 'fulcio_chain.pem'), 'utf8'));
    assert.deepEqual(bundle, [...loaded.caChain, oldChain[0]!], 'the active chain, then the retired issuing CA (the shared root once)');
    const docs = parseAllDocuments(readFileSync(join(out, 'kubernetes/policy-controller-trustroot.yaml'), 'utf8')).map((d) => d.toJS());
    const keysMode = docs.find((d) => d.spec.sigstoreKeys).spec.sigstoreKeys.certificateAuthorities as { certChain: string }[];
    assert.deepEqual(keysMode.map((ca) => pems(Buffer.from(ca.certChain, 'base64').toString())), [loaded.caChain, loaded.retired[0]!.chain]);
    const kyverno = parse(readFileSync(join(out, 'kubernetes/kyverno-clusterpolicy.yaml'), 'utf8'));
    assert.deepEqual(pems(kyverno.spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless.roots), bundle);
  });

  it('refusals leave the active CA as it was: no mode, both modes, a wrong root passphrase, no active CA', async () => {
    const keys = join(work, 'b', 'keys');
    const offline = join(work, 'b', 'offline');
    const pass = join(work, 'b-pass');
    writeFileSync(pass, 'root secret\n');
    assert.equal((await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', offline, '--passphrase-file', pass)).code, 0);
    const snapshot = () => readdirSync(keys).sort().map((f) => [f, f === 'tuf' ? '' : readFileSync(join(keys, f), 'utf8')]);
    const was = snapshot();
    const none = await fulgor('ca', 'rotate', '--keys-dir', keys);
    assert.match(none.stderr, /give either --root-out OFFLINE-DIR .* or --chain CHAIN\.pem --root ROOT\.pem --new-key-dir DIR/);
    const both = await fulgor('ca', 'rotate', '--keys-dir', keys, '--root-out', offline, '--chain', 'x', '--root', 'y');
    assert.match(both.stderr, /give either/);
    const wrong = join(work, 'b-wrong');
    writeFileSync(wrong, 'not it\n');
    const bad = await fulgor('ca', 'rotate', '--keys-dir', keys, '--root-out', offline, '--passphrase-file', wrong);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /root-ca\.key\.pem/);
    const long = await fulgor('ca', 'rotate', '--keys-dir', keys, '--root-out', offline, '--passphrase-file', pass, '--intermediate-validity', '20y');
    assert.match(long.stderr, /cannot outlive its root/);
    assert.deepEqual(snapshot(), was, 'nothing moved, no retired/ or staging directory left');
    const empty = await fulgor('ca', 'rotate', '--keys-dir', join(work, 'nothing'), '--root-out', offline);
    assert.match(empty.stderr, /there is no active issuing CA to rotate/);
  });

  it('--chain/--root/--new-key-dir: installs a chain for the key "ca csr" made, under another root (kept with the retired CA)', async () => {
    const keys = join(work, 'c', 'keys');
    const offline = join(work, 'c', 'offline');
    const next = join(work, 'c', 'next');
    assert.equal((await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', offline)).code, 0);
    const oldChain = certs(join(keys, 'intermediate-ca.pem'));
    const oldRoot = certs(join(keys, 'root-ca.pem'))[0]!;
    const csr = join(work, 'c', 'next.csr');
    assert.equal((await fulgor('ca', 'csr', '--keys-dir', next, '--out', csr)).code, 0);
    const newKey = readFileSync(join(next, 'intermediate-ca.key.pem'));
    const root = await testRoot({ commonName: 'Acme Root CA 2' });
    const chainPem = join(work, 'c', 'chain.pem');
    const rootPem = join(work, 'c', 'root.pem');
    writeFileSync(rootPem, certToPem(root.der));

    // A chain for another key is refused by the same checks as ca import, and nothing moves.
    const stranger = await testSubCa(root, { commonName: 'Stranger', pathLen: 0, eku: [OID.codeSigning] });
    writeFileSync(chainPem, certToPem(stranger.der));
    const refused = await fulgor('ca', 'rotate', '--keys-dir', keys, '--chain', chainPem, '--root', rootPem, '--new-key-dir', next);
    assert.match(refused.stderr, /ca rotate refused .*chain\.pem: .*is not the issuing key/);
    assert.deepEqual(certs(join(keys, 'intermediate-ca.pem')), oldChain);
    assert.ok(!existsSync(join(keys, 'retired')) || readdirSync(join(keys, 'retired')).length === 0);
    assert.ok(existsSync(join(next, 'intermediate-ca.key.pem')), 'the new key stays where ca csr made it');

    const issuing = await testSubCa(root, { commonName: 'Acme Issuing CA 2', pathLen: 0, eku: [OID.codeSigning] }, csrSpki(csr));
    writeFileSync(chainPem, certToPem(issuing.der));
    const res = await fulgor('ca', 'rotate', '--keys-dir', keys, '--chain', chainPem, '--root', rootPem, '--new-key-dir', next);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /The root changed: distribute/);
    assert.deepEqual(readFileSync(join(keys, 'intermediate-ca.key.pem')), newKey, 'the new key moved into the keys directory');
    const loaded = loadKeys(keys);
    assert.deepEqual(loaded.caChain, [issuing.der, root.der]);
    assert.deepEqual(loaded.retired.map((r) => r.chain), [[...oldChain, oldRoot]], 'the retired CA keeps its own root');
    assert.ok(existsSync(join(loaded.retired[0]!.dir, 'root-ca.pem')));
  });
});
