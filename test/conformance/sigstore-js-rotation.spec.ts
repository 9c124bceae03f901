// Rotation end to end with the real client: sigstore-js signs with issuing CA A; `fulgor ca rotate` (a real process)
// makes B active; the running server reloads and signs with B; one trusted_root.json exported by `fulgor trust
// export` (a real process) after the rotation verifies both bundles. A certificate A issued after A's validFor.end
// (a second server on a copy of A's keys, its clock injected past the end) does not verify with that trusted root.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from '@sigstore/bundle';
import { toSignedEntity, VerificationError } from '@sigstore/verify';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES, loadKeys } from '../../config/keys-dir.js';
import { fulgor as fulgorCli } from '../helpers/cli-process.js';
import { startFulgor, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { exactly, signBlobThrough, verifierFor } from '../helpers/sigstore-js.js';

const EMAIL = 'dev@example.com'; // the development token's email
const blob = Buffer.from('signed across a rotation\n');

const leafOf = (bundle: Bundle): X509Certificate => {
  const vm = bundle.verificationMaterial.content;
  const der = vm.$case === 'x509CertificateChain' ? vm.x509CertificateChain.certificates[0]?.rawBytes : vm.$case === 'certificate' ? vm.certificate.rawBytes : undefined;
  assert.ok(der);
  return new X509Certificate(der);
};

describe('conformance: sigstore-js across a CA rotation (ca rotate, reload, trust export)', function () {
  this.timeout(60_000);
  let work: string, keys: string, offline: string, keysA: string;
  let email: TestIssuer;
  let server: TestFulgor | undefined, late: TestFulgor | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-rotation-'));
    keys = join(work, 'keys');
    offline = join(work, 'offline');
    await createMissingDevKeys(keys);
    // The development root key plays the offline root: `ca rotate --root-out` reads it from there.
    mkdirSync(offline);
    for (const f of [KEY_FILES.rootKey, KEY_FILES.rootCert]) cpSync(join(keys, f), join(offline, f));
    keysA = join(work, 'keys-a');
    cpSync(keys, keysA, { recursive: true });
    email = await startIssuer('/mail');
  });
  after(async () => {
    await server?.close();
    await late?.close();
    await email?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const identity = () => ({ OIDCIssuers: { [email.url]: { IssuerURL: email.url, ClientID: 'sigstore', Type: 'email' } } });
  const policy = () => ({ subjectAlternativeName: exactly(EMAIL), extensions: { issuer: email.url } });

  it('bundles from A (before) and B (after the rotation) both verify with one exported trusted root; A after its end does not', async () => {
    server = await startFulgor(identity(), { keysDir: keys });
    const chainA = server.caChain;
    const bundleA = await signBlobThrough(await email.mint('email'), blob, server.caUrl);
    assert.ok(leafOf(bundleA).verify(new X509Certificate(chainA[0]!).publicKey), 'issued by A');

    const rotated = await fulgorCli('ca', 'rotate', '--keys-dir', keys, '--root-out', offline);
    assert.equal(rotated.code, 0, rotated.stderr);
    const reloaded = await server.reload();
    assert.equal(reloaded.caReloaded, true);
    const chainB = loadKeys(keys).caChain;
    assert.notDeepEqual(chainB[0], chainA[0]);

    // The trust bundle: the active chain first, then the retired one.
    const bundle = (await (await fetch(`${server.caUrl}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
    const der = (pem: string) => new X509Certificate(pem).raw;
    assert.deepEqual(bundle.chains.map((c) => c.certificates.map(der)), [chainB, chainA]);

    const bundleB = await signBlobThrough(await email.mint('email'), blob, server.caUrl);
    assert.ok(leafOf(bundleB).verify(new X509Certificate(chainB[0]!).publicKey), 'issued by B after the reload');

    const out = join(work, 'trust');
    const exported = await fulgorCli('trust', 'export', '--keys-dir', keys, '--out', out, '--ca-url', server.caUrl);
    assert.equal(exported.code, 0, exported.stderr);
    const root = JSON.parse(readFileSync(join(out, 'trusted_root.json'), 'utf8')) as { certificateAuthorities: { validFor: { start: string; end?: string } }[] };
    const verifier = verifierFor(root);
    assert.equal(verifier.verify(toSignedEntity(bundleA, blob), policy()).identity?.subjectAlternativeName, EMAIL);
    assert.equal(verifier.verify(toSignedEntity(bundleB, blob), policy()).identity?.subjectAlternativeName, EMAIL);

    // A, still able to sign (a copy of its keys), issues after its validFor.end: the exported root refuses it.
    const end = Date.parse(root.certificateAuthorities[1]!.validFor.end!);
    const lateNow = () => new Date(end + 60_000 + (Date.now() - started));
    const started = Date.now();
    late = await startFulgor(identity(), { keysDir: keysA, clock: lateNow });
    const lateBundle = await signBlobThrough(await email.mint('email', { now: lateNow() }), blob, late.caUrl);
    assert.ok(leafOf(lateBundle).verify(new X509Certificate(chainA[0]!).publicKey), 'issued by A');
    assert.ok(new Date(leafOf(lateBundle).validFrom).getTime() > end, 'after A stopped being trusted');
    assert.throws(
      () => verifier.verify(toSignedEntity(lateBundle, blob), policy()),
      (e: unknown) => e instanceof VerificationError && e.code === 'CERTIFICATE_ERROR',
    );
    // Without the end, the same bundle would verify: validFor.end is what refuses it.
    const open = structuredClone(root);
    delete open.certificateAuthorities[1]!.validFor.end;
    assert.equal(verifierFor(open).verify(toSignedEntity(lateBundle, blob), policy()).identity?.subjectAlternativeName, EMAIL);
  });

  it('a reload that finds a broken active CA is rejected, and the current CA keeps issuing', async () => {
    const dir = join(work, 'broken');
    const other = join(work, 'other');
    await createMissingDevKeys(dir);
    await createMissingDevKeys(other);
    const running = await startFulgor(identity(), { keysDir: dir });
    try {
      const before = running.caChain;
      // Another CA's issuing certificate: not signed by this root, nor for this key.
      cpSync(join(other, KEY_FILES.caCert), join(dir, KEY_FILES.caCert));
      await assert.rejects(running.reload(), /issuing CA reload rejected \(the current CA stays\): .*intermediate-ca\.pem.*is not signed by the next one/);
      const signed = await signBlobThrough(await email.mint('email'), blob, running.caUrl);
      assert.ok(leafOf(signed).verify(new X509Certificate(before[0]!).publicKey), 'still issued by the CA it started with');
    } finally {
      await running.close();
    }
  });
});
