// `fulgor trust export` as a process, every file it writes read back by the parser its consumer uses:
// @sigstore/protobuf-specs for the sigstore JSON, @sigstore/sign for the signing config, @sigstore/tuf (tuf-js) for
// the TUF repository served over HTTP, tar for the mirrorFS archive, yaml for the Kubernetes objects,
// node's parseEnv for cosign.env.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { ClientTrustConfig, ServiceSelector, SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { getTrustedRoot, initTUF } from '@sigstore/tuf';
import { toTrustMaterial } from '@sigstore/verify';
import { list } from 'tar';
import { parse, parseAllDocuments } from 'yaml';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { BIN } from '../helpers/serve-process.js';

const run = promisify(execFile);
const exportTrust = (args: string[]) => run(process.execPath, [BIN, 'trust', 'export', ...args], { timeout: 20_000 });
const failedExport = (args: string[]) =>
  exportTrust(args).then(
    () => assert.fail(`trust export ${args.join(' ')} succeeded`),
    (e: { code: number; stderr: string }) => e,
  );

const CA_URL = 'https://fulgor.corp.example';
const TSA_URL = `${CA_URL}/api/v1/timestamp`;
const CT_URL = 'https://ct.corp.example/fulgor';
const ISSUER = 'https://idp.corp.example';
const SUBJECT_RE = '^https://git\\.corp\\.example/acme/.*$';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const pemDers = (pem: string) => parsePemBlocks(pem).map((b) => b.der);
const unb64 = (s: string) => Buffer.from(s, 'base64');

/** Every file under `dir`, relative, with `/` separators. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split(sep).join('/')]))
    .sort();
}

/** A static file server over `root` on port 0, reading files at request time (so it serves whatever is there now). */
async function serveDir(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = resolve(root, '.' + decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!path.startsWith(resolve(root) + sep) || !existsSync(path)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('cli: fulgor trust export writes every consumer its trust material', function () {
  this.timeout(60_000);
  let dir: string, keysDir: string, tufKeys: string, out: string;
  let tsaLeaf: Buffer, caChain: Buffer[], ctSpki: Buffer;
  let stderr: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-trust-export-'));
    keysDir = join(dir, 'keys');
    tufKeys = join(dir, 'tuf-keys');
    out = join(dir, 'out');
    await createMissingDevKeys(keysDir);
    // keys init makes the development TSA certificate (tsa.pem), chained to the keys directory's root.
    tsaLeaf = pemDers(readFileSync(join(keysDir, KEY_FILES.tsaCert), 'utf8'))[0]!;
    caChain = [KEY_FILES.caCert, KEY_FILES.rootCert].map((f) => pemDers(readFileSync(join(keysDir, f), 'utf8'))[0]!);
    ctSpki = createPublicKey(readFileSync(join(keysDir, KEY_FILES.ctPub), 'utf8')).export({ type: 'spki', format: 'der' });
    ({ stderr } = await exportTrust([
      '--keys-dir', keysDir, '--out', out, '--ca-url', CA_URL,
      '--ct-log-url', CT_URL, '--ct-log-public-key', join(keysDir, KEY_FILES.ctPub),
      '--tuf-keys-dir', tufKeys, '--tuf-expires', '30d',
      '--identity-issuer', ISSUER, '--identity-subject-regexp', SUBJECT_RE,
    ]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes exactly the documented files, and says nothing about defaults when every URL is given', () => {
    const tuf = walk(join(out, 'tuf'));
    assert.deepEqual(
      walk(out).filter((f) => !f.startsWith('tuf/')),
      [
        'README.md', 'client_trust_config.json', 'cosign.env', 'ctfe.pub', 'fulcio_chain.pem',
        'kubernetes/kyverno-clusterpolicy.yaml', 'kubernetes/kyverno-imagevalidatingpolicy.yaml', 'kubernetes/policy-controller-trustroot.yaml',
        'signing_config.json', 'trusted_root.json', 'tsa_chain.pem', 'tuf-repository.tar.gz',
      ],
    );
    const hashed = (name: string) => `targets/${createHash('sha256').update(readFileSync(join(out, name === 'signing_config.v0.2.json' ? 'signing_config.json' : name))).digest('hex')}.${name}`;
    assert.deepEqual(tuf, [
      '1.root.json', '1.snapshot.json', '1.targets.json', 'root.json', 'snapshot.json', hashed('signing_config.v0.2.json'), hashed('trusted_root.json'), 'targets.json', 'timestamp.json',
    ].sort());
    assert.doesNotMatch(stderr, /127\.0\.0\.1|default|no timestamp authority/);
  });

  it('trusted_root.json (v0.1) lists the CA chain, the CT log and the TSA chain from tsa.pem + root-ca.pem, with validFor', () => {
    const json = readJson(join(out, 'trusted_root.json'));
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    const root = TrustedRoot.fromJSON(json);
    assert.deepEqual(root.certificateAuthorities[0]!.certChain!.certificates.map((c) => Buffer.from(c.rawBytes)), caChain);
    assert.equal(root.ctlogs[0]!.baseUrl, CT_URL);
    assert.ok(Buffer.from(root.ctlogs[0]!.publicKey!.rawBytes!).equals(ctSpki));
    const [tsa, ...others] = root.timestampAuthorities;
    assert.equal(others.length, 0);
    assert.equal(tsa!.uri, TSA_URL);
    assert.deepEqual(tsa!.certChain!.certificates.map((c) => Buffer.from(c.rawBytes)), [tsaLeaf, caChain[1]]);
    assert.equal(tsa!.validFor!.start!.getTime(), new Date(new X509Certificate(tsaLeaf).validFrom).getTime());
    assert.deepEqual(tsa!.subject, { organization: 'Fulgor Development', commonName: 'Fulgor Development Timestamp Authority' });
    // @sigstore/verify builds its trust material from it, TSA included.
    assert.equal(toTrustMaterial(root).timestampAuthorities.length, 1);
  });

  it('signing_config.json (v0.2): CA at API v1, the full timestamp URL with ANY, operator set, no Rekor; sigstore-js accepts it', () => {
    const json = readJson(join(out, 'signing_config.json'));
    assert.ok(!('rekorTlogUrls' in json) && !('rekorTlogConfig' in json), 'no Rekor selector without a Rekor');
    const sc = SigningConfig.fromJSON(json);
    assert.equal(sc.mediaType, 'application/vnd.dev.sigstore.signingconfig.v0.2+json');
    assert.deepEqual(sc.caUrls.map((s) => [s.url, s.majorApiVersion, s.operator]), [[CA_URL, 1, 'fulgor.corp.example']]);
    assert.deepEqual(sc.tsaUrls.map((s) => [s.url, s.majorApiVersion, s.operator]), [[TSA_URL, 1, 'fulgor.corp.example']]);
    assert.equal(sc.tsaConfig?.selector, ServiceSelector.ANY);
    assert.deepEqual(sc.rekorTlogUrls, []);
    assert.equal(sc.rekorTlogConfig, undefined);
    // The previous export's `rekorTlogConfig: ANY` with no Rekor URL made this throw "No valid TLogs found".
    const identityProvider = { getToken: async () => 'unused' };
    for (const bundleType of ['messageSignature', 'dsseEnvelope'] as const) bundleBuilderFromSigningConfig({ signingConfig: sc, identityProvider, bundleType });
  });

  it('client_trust_config.json holds the same trusted root and signing config', () => {
    const ctc = ClientTrustConfig.fromJSON(readJson(join(out, 'client_trust_config.json')));
    assert.equal(ctc.mediaType, 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json');
    assert.deepEqual(ctc.trustedRoot, TrustedRoot.fromJSON(readJson(join(out, 'trusted_root.json'))));
    assert.deepEqual(ctc.signingConfig, SigningConfig.fromJSON(readJson(join(out, 'signing_config.json'))));
  });

  it('cosign.env names the CA chain, CT log key and TSA chain files', () => {
    const env = parseEnv(readFileSync(join(out, 'cosign.env'), 'utf8'));
    assert.deepEqual(Object.keys(env).sort(), ['SIGSTORE_CT_LOG_PUBLIC_KEY_FILE', 'SIGSTORE_ROOT_FILE', 'SIGSTORE_TSA_CERTIFICATE_FILE']);
    assert.deepEqual(pemDers(readFileSync(env['SIGSTORE_ROOT_FILE']!, 'utf8')), caChain);
    assert.ok(createPublicKey(readFileSync(env['SIGSTORE_CT_LOG_PUBLIC_KEY_FILE']!, 'utf8')).export({ type: 'spki', format: 'der' }).equals(ctSpki));
    assert.deepEqual(pemDers(readFileSync(env['SIGSTORE_TSA_CERTIFICATE_FILE']!, 'utf8')), [tsaLeaf, caChain[1]]);
  });

  it('tuf-repository.tar.gz holds the TUF repository under repository/, as policy-controller mirrorFS unpacks it', async () => {
    const entries: string[] = [];
    await list({ file: join(out, 'tuf-repository.tar.gz'), onReadEntry: (e) => void entries.push(e.path) });
    assert.deepEqual(entries.filter((e) => !e.endsWith('/')).sort(), walk(join(out, 'tuf')).map((f) => `repository/${f}`));
  });

  it('policy-controller TrustRoots: repository mode (root.json + mirrorFS tar.gz) and sigstoreKeys mode (base64 PEM, sha-256)', () => {
    const docs = parseAllDocuments(readFileSync(join(out, 'kubernetes/policy-controller-trustroot.yaml'), 'utf8')).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => [d.apiVersion, d.kind, d.metadata.name]), [
      ['policy.sigstore.dev/v1alpha1', 'TrustRoot', 'fulgor'],
      ['policy.sigstore.dev/v1alpha1', 'TrustRoot', 'fulgor-keys'],
    ]);
    const repo = docs[0].spec.repository;
    assert.ok(unb64(repo.root).equals(readFileSync(join(out, 'tuf/root.json'))));
    assert.ok(unb64(repo.mirrorFS).equals(readFileSync(join(out, 'tuf-repository.tar.gz'))));
    assert.equal(repo.targets, 'targets');
    const keys = docs[1].spec.sigstoreKeys;
    assert.deepEqual(Object.keys(keys).sort(), ['certificateAuthorities', 'ctLogs', 'timestampAuthorities']);
    assert.equal(keys.certificateAuthorities[0].uri, CA_URL);
    assert.deepEqual(pemDers(unb64(keys.certificateAuthorities[0].certChain).toString()), caChain);
    assert.deepEqual(keys.ctLogs[0], { baseURL: CT_URL, hashAlgorithm: 'sha-256', publicKey: keys.ctLogs[0].publicKey });
    assert.ok(createPublicKey(unb64(keys.ctLogs[0].publicKey).toString()).export({ type: 'spki', format: 'der' }).equals(ctSpki));
    assert.equal(keys.timestampAuthorities[0].uri, TSA_URL);
    assert.deepEqual(pemDers(unb64(keys.timestampAuthorities[0].certChain).toString()), [tsaLeaf, caChain[1]]);
  });

  it('Kyverno ClusterPolicy: keyless attestor with the identity, roots, CT key, ctlog.tsaCertChain and rekor.ignoreTlog', () => {
    const policy = parse(readFileSync(join(out, 'kubernetes/kyverno-clusterpolicy.yaml'), 'utf8'));
    assert.equal(policy.apiVersion, 'kyverno.io/v1');
    assert.equal(policy.kind, 'ClusterPolicy');
    const keyless = policy.spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless;
    assert.equal(keyless.issuer, ISSUER);
    assert.equal(keyless.subjectRegExp, SUBJECT_RE);
    assert.deepEqual(pemDers(keyless.roots), caChain);
    assert.deepEqual(keyless.rekor, { ignoreTlog: true });
    assert.ok(createPublicKey(keyless.ctlog.pubkey).export({ type: 'spki', format: 'der' }).equals(ctSpki));
    assert.deepEqual(pemDers(keyless.ctlog.tsaCertChain), [tsaLeaf, caChain[1]]);
  });

  it('Kyverno ImageValidatingPolicy: cosign keyless identities and the trusted root inline', () => {
    const policy = parse(readFileSync(join(out, 'kubernetes/kyverno-imagevalidatingpolicy.yaml'), 'utf8'));
    assert.equal(policy.apiVersion, 'policies.kyverno.io/v1');
    assert.equal(policy.kind, 'ImageValidatingPolicy');
    const cosign = policy.spec.attestors[0].cosign;
    assert.deepEqual(cosign.keyless.identities, [{ issuer: ISSUER, subjectRegExp: SUBJECT_RE }]);
    assert.equal(cosign.ctlog.insecureIgnoreTlog, true);
    assert.deepEqual(TrustedRoot.fromJSON(JSON.parse(cosign.trustedRoot.value)), TrustedRoot.fromJSON(readJson(join(out, 'trusted_root.json'))));
    assert.match(policy.spec.validations[0].expression, new RegExp(`attestors\\.${policy.spec.attestors[0].name}\\b`));
  });

  it('README.md names every file and the cosign v3 commands', () => {
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const f of walk(out).filter((f) => !f.startsWith('tuf/') && f !== 'README.md')) assert.ok(readme.includes(f.replace(/^kubernetes\//, '')), f);
    assert.match(readme, /cosign sign-blob .*--signing-config signing_config\.json[\s\\]+--trusted-root trusted_root\.json/);
    assert.match(readme, /cosign verify-blob .*--trusted-root trusted_root\.json[\s\\]+--use-signed-timestamps --insecure-ignore-tlog/);
  });

  it('the TUF repository delivers both targets to @sigstore/tuf over HTTP; a second export updates a client that cached the first', async () => {
    const { url, server } = await serveDir(join(out, 'tuf'));
    const cachePath = join(dir, 'tuf-cache');
    try {
      const rootPath = join(out, 'tuf', '1.root.json');
      const first = await getTrustedRoot({ mirrorURL: url, rootPath, cachePath });
      assert.deepEqual(first, TrustedRoot.fromJSON(readJson(join(out, 'trusted_root.json'))));
      const tufClient = await initTUF({ mirrorURL: url, rootPath, cachePath });
      const signing = SigningConfig.fromJSON(JSON.parse(await tufClient.getTarget('signing_config.v0.2.json')));
      assert.deepEqual(signing, SigningConfig.fromJSON(readJson(join(out, 'signing_config.json'))));
      const timestamp = readJson(join(out, 'tuf', 'timestamp.json')).signed;
      assert.equal(timestamp.version, 1);
      // --tuf-expires 30d: the timestamp role expires 30 days after the export, to the second.
      assert.ok(Math.abs(new Date(timestamp.expires).getTime() - Date.now() - 30 * 86_400_000) < 120_000, timestamp.expires);

      const root1 = readFileSync(rootPath);
      const keysBefore = walk(tufKeys).map((f) => readFileSync(join(tufKeys, f), 'utf8'));
      await exportTrust(['--keys-dir', keysDir, '--out', out, '--ca-url', 'https://fulgor2.corp.example', '--ct-log-url', CT_URL, '--ct-log-public-key', join(keysDir, KEY_FILES.ctPub), '--tuf-keys-dir', tufKeys]);
      assert.ok(readFileSync(rootPath).equals(root1), '1.root.json is kept as it was');
      assert.deepEqual(walk(tufKeys).map((f) => readFileSync(join(tufKeys, f), 'utf8')), keysBefore, 'the TUF keys are reused');
      for (const role of ['timestamp', 'snapshot', 'targets']) assert.equal(readJson(join(out, 'tuf', `${role}.json`)).signed.version, 2, role);
      assert.equal(readJson(join(out, 'tuf', 'root.json')).signed.version, 1);

      // The same cache (its trusted root is version 1), no forced re-initialisation: the client updates.
      const second = await getTrustedRoot({ mirrorURL: url, rootPath, cachePath });
      assert.equal(second.certificateAuthorities[0]!.uri, 'https://fulgor2.corp.example');
      const repoCache = readdirSync(cachePath).map((d) => join(cachePath, d))[0]!;
      assert.equal(readJson(join(repoCache, 'timestamp.json')).signed.version, 2);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses to continue a TUF repository with other keys', async () => {
    const failed = await failedExport(['--keys-dir', keysDir, '--out', out, '--ca-url', CA_URL, '--tuf-keys-dir', join(dir, 'other-tuf-keys')]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /holds a TUF repository signed by other keys: export with the --tuf-keys-dir that created it, or into a new --out/);
  });

  it('without tsa.pem and without URLs: no timestamp authority and the defaults it wrote, each said on stderr', async () => {
    const bare = join(dir, 'bare-keys');
    await createMissingDevKeys(bare);
    // A keys directory from before the timestamp authority: no tsa.pem, no tsa.key.pem.
    rmSync(join(bare, KEY_FILES.tsaCert));
    rmSync(join(bare, KEY_FILES.tsaKey));
    const out2 = join(dir, 'out-bare');
    const { stderr: err } = await exportTrust(['--keys-dir', bare, '--out', out2]);
    assert.match(err, /no --ca-url: wrote the default CA URL http:\/\/127\.0\.0\.1:8080/);
    assert.match(err, /no --ct-log-url: wrote the default CT log URL http:\/\/127\.0\.0\.1:6962/);
    assert.match(err, /tsa\.pem: exported no timestamp authority/);
    assert.match(err, /created TUF role key .*bare-keys\/tuf\/root\.key\.pem/);
    assert.deepEqual(readJson(join(out2, 'trusted_root.json')).timestampAuthorities, []);
    const sc = readJson(join(out2, 'signing_config.json'));
    assert.ok(!('tsaUrls' in sc) && !('tsaConfig' in sc) && !('rekorTlogConfig' in sc));
    assert.ok(!existsSync(join(out2, 'tsa_chain.pem')));
    assert.ok(!('SIGSTORE_TSA_CERTIFICATE_FILE' in parseEnv(readFileSync(join(out2, 'cosign.env'), 'utf8'))));
    assert.equal(parse(readFileSync(join(out2, 'kubernetes/kyverno-clusterpolicy.yaml'), 'utf8')).spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless.ctlog.tsaCertChain, undefined);

    const noChain = await failedExport(['--keys-dir', bare, '--out', join(dir, 'out-tsa-url'), '--tsa-url', TSA_URL]);
    assert.equal(noChain.code, 1);
    assert.match(noChain.stderr, /--tsa-url needs the timestamp authority's certificate chain in .*tsa\.pem/);
  });

  it('refuses a malformed --tuf-expires', async () => {
    const failed = await failedExport(['--keys-dir', keysDir, '--out', join(dir, 'out-expires'), '--tuf-expires', '365 days']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /--tuf-expires must be a duration such as 365d/);
  });
});
