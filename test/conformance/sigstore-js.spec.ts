// Conformance with the real client: sigstore-js (@sigstore/sign) signs through Fulgor — ephemeral key, proof of
// possession over the token's subject (or email), POST /api/v2/signingCert, RFC 3161 timestamp from Fulgor's own
// TSA on the same port, no Rekor — and @sigstore/verify verifies the bundle against a trusted_root.json built from
// Fulgor's chain, CT log key and TSA chain, requiring the embedded SCT (ctlogThreshold 1) and the timestamp
// (timestampThreshold 1, tlogThreshold 0), also after the certificate has expired, and also from the trusted root that `fulgor trust export`'s TUF repository delivers through @sigstore/tuf. Nothing is mocked. The whole flow
// runs four times: with the keys in files, and with the issuing CA key and the CT log key in a SoftHSM2 token (pkcs11: URIs
// in .key.uri files, PIN from a file; skipped, saying why, without softhsm2 or pkcs11js); against a real
// `fulgor serve --workers 2` process (file-backed companion log in the primary, two CA workers signing and stamping),
// and against `fulgor serve --ct-log-url` with the log in a `fulgor ct serve` process of its own (leaf signatures on
// its thread, submissions in node:http), each with its trust material read from what `fulgor trust export` writes.
// (Servers the flow starts besides — another CA, one on a clock an hour back — run in this process.)
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import { DSSEBundleBuilder, FulcioSigner, TSAWitness } from '@sigstore/sign';
import { PolicyError, toSignedEntity, toTrustMaterial, VerificationError, Verifier, type VerificationPolicy } from '@sigstore/verify';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { getTrustedRoot } from '@sigstore/tuf';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { softhsmMissing } from '../../signer/softhsm.js';
import { trustedRoot } from '../../trust/trusted-root.js';
import { logIdFor } from '../../ct/index.js';
import { startFulgor, type TestFulgor } from '../helpers/fulgor.js';
import { startLog } from '../helpers/ct-process.js';
import { BIN, exited, startServe, stopProcess } from '../helpers/serve-process.js';
import { exactly, signBlobThrough, verifierFor, VERIFY_OPTIONS, viaJson } from '../helpers/sigstore-js.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { moveKeysIntoSoftHsm } from '../helpers/softhsm-keys.js';
import { timestampAuthorityFor } from '../helpers/tsa.js';
import { x509 } from '../helpers/x509.js';

const GITHUB_SAN = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const EMAIL_SAN = 'dev@example.com';
const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';

const b64 = (b: Buffer) => b.toString('base64');
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

type RootJson = ReturnType<typeof trustedRoot>;

/** What the flow needs of a server under test: where it listens, its trust material, and how to stop it. */
type SuiteFulgor = Pick<TestFulgor, 'caUrl' | 'ctUrl' | 'caChain' | 'ctLogSpki' | 'tsaChain' | 'close'>;

interface KeySetup {
  readonly title: string;
  /** Why the setup cannot run here, if it cannot. */
  readonly missing?: () => string | undefined;
  start(identity: unknown): Promise<SuiteFulgor>;
}

/** Development keys, with the issuing CA key and the CT log key moved into a SoftHSM2 token. */
async function startFulgorWithKeysInSoftHsm(identity: unknown): Promise<TestFulgor> {
  const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-hsm-keys-'));
  try {
    await createMissingDevKeys(keysDir);
    const token = await moveKeysIntoSoftHsm(keysDir);
    const running = await startFulgor(identity, { keysDir }).catch(async (e: unknown) => {
      await token.close();
      throw e;
    });
    assert.ok(running.logLines.some((l) => l.includes('"caKey":"PKCS#11 token \\"fulgor\\"') && l.includes('"ctLogKey":"PKCS#11 token')), running.logLines.join('\n'));
    return {
      ...running,
      async close() {
        await running.close();
        await token.close();
        rmSync(keysDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(keysDir, { recursive: true, force: true });
    throw e;
  }
}

/** The CA chain, CT log key and TSA chain that `fulgor trust export` writes for a CA at `caUrl` and its log at `ctUrl`. */
async function exportedTrust(dir: string, keysDir: string, caUrl: string, ctUrl: string): Promise<Pick<SuiteFulgor, 'caChain' | 'ctLogSpki' | 'tsaChain'>> {
  await promisify(execFile)(process.execPath, [BIN, 'trust', 'export', '--keys-dir', keysDir, '--out', join(dir, 'trust'), '--ca-url', caUrl, '--ct-log-url', ctUrl, '--ct-log-public-key', join(keysDir, KEY_FILES.ctPub), '--tsa-url', `${caUrl}/api/v1/timestamp`]);
  const exported = JSON.parse(readFileSync(join(dir, 'trust', 'trusted_root.json'), 'utf8')) as RootJson;
  const der = (chain: { certificates: Array<{ rawBytes: string }> }) => chain.certificates.map((c) => Buffer.from(c.rawBytes, 'base64'));
  const caChain = der(exported.certificateAuthorities[0]!.certChain);
  const root = caChain[caChain.length - 1]!;
  return {
    caChain,
    ctLogSpki: Buffer.from(exported.ctlogs[0]!.publicKey.rawBytes, 'base64'),
    tsaChain: der(exported.timestampAuthorities[0]!.certChain).filter((c) => !c.equals(root)),
  };
}

/** SIGTERM to each process in turn; each must exit 0 (a graceful stop). */
async function stopInTurn(children: readonly { child: ChildProcess; output: () => string }[]): Promise<void> {
  for (const { child, output } of children) {
    const stopped = exited(child);
    child.kill('SIGTERM');
    assert.equal((await stopped).code, 0, output());
  }
}

/**
 * `fulgor serve --workers 2` as a process (development keys in files, the identity config in a file, the companion
 * log on the file store); the CA chain, CT log key and TSA chain are those `fulgor trust export` writes for it.
 */
async function startWorkersProcess(identity: unknown): Promise<SuiteFulgor> {
  const dir = mkdtempSync(join(tmpdir(), 'fulgor-conformance-workers-'));
  const keysDir = join(dir, 'keys');
  let child: ChildProcess | undefined;
  try {
    await createMissingDevKeys(keysDir);
    writeFileSync(join(dir, 'identity.json'), JSON.stringify(identity));
    const started = await startServe(['--allow-dev-keys', '--keys-dir', keysDir, '--config-path', join(dir, 'identity.json'), '--ct-storage', `file:${join(dir, 'ct')}`, '--workers', '2']);
    child = started.child;
    const { caUrl } = started;
    const ctUrl = /\(CT log (\S+)\), 2 workers/.exec(started.output())?.[1];
    assert.ok(ctUrl, started.output());
    const trust = await exportedTrust(dir, keysDir, caUrl, ctUrl);
    return {
      caUrl,
      ctUrl,
      ...trust,
      async close() {
        await stopInTurn([started]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * `fulgor ct serve` as a process of its own (file store; leaf signatures on its thread, submissions in node:http), and
 * `fulgor serve --ct-log-url` pointed at it over HTTP: the external-log path of a CA replica.
 */
async function startWithLogProcess(identity: unknown): Promise<SuiteFulgor> {
  const dir = mkdtempSync(join(tmpdir(), 'fulgor-conformance-ct-serve-'));
  const keysDir = join(dir, 'keys');
  const children: ChildProcess[] = [];
  try {
    await createMissingDevKeys(keysDir);
    writeFileSync(join(dir, 'identity.json'), JSON.stringify(identity));
    const log = await startLog(join(dir, 'ct'), keysDir, join(keysDir, KEY_FILES.rootCert));
    children.push(log.child);
    const ca = await startServe(['--allow-dev-keys', '--keys-dir', keysDir, '--config-path', join(dir, 'identity.json'), '--ct-log-url', log.url, '--ct-log-public-key', join(keysDir, KEY_FILES.ctPub)]);
    children.unshift(ca.child);
    const trust = await exportedTrust(dir, keysDir, ca.caUrl, log.url);
    return {
      caUrl: ca.caUrl,
      ctUrl: log.url,
      ...trust,
      async close() {
        // The CA first (its submissions drain into the log), then the log.
        await stopInTurn([ca, { child: log.child, output: log.stderr }]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    for (const child of children) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

const KEY_SETUPS: readonly KeySetup[] = [
  { title: 'keys in files', start: (identity) => startFulgor(identity) },
  { title: 'issuing CA and CT log keys in SoftHSM2', missing: softhsmMissing, start: startFulgorWithKeysInSoftHsm },
  { title: 'a `fulgor serve --workers 2` process', start: startWorkersProcess },
  { title: '`fulgor serve --ct-log-url` and a `fulgor ct serve` process', start: startWithLogProcess },
];

for (const setup of KEY_SETUPS)
describe(`conformance: sigstore-js signs through Fulgor and verifies what it issued (embedded SCT required; ${setup.title})`, function () {
  this.timeout(30000);
  let github: TestIssuer, email: TestIssuer;
  let fulgor: SuiteFulgor;

  before(async function () {
    const missing = setup.missing?.();
    if (missing) {
      console.log(`    [conformance, ${setup.title}] SKIPPED: ${missing} (Debian/Ubuntu: apt-get install softhsm2)`);
      this.skip();
    }
    [github, email] = await Promise.all([startIssuer('/gh'), startIssuer('/mail')]);
    fulgor = await setup.start({
      OIDCIssuers: {
        [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' },
        [email.url]: { IssuerURL: email.url, ClientID: 'sigstore', Type: 'email' },
      },
    });
  });
  after(async () => {
    await fulgor?.close();
    await Promise.all([github?.close(), email?.close()]);
  });

  /** The trusted root for `f`, with its timestamp authority in timestampAuthorities. */
  function rootFor(f: SuiteFulgor): RootJson {
    const json = trustedRoot({ caChain: f.caChain, caUrl: f.caUrl, ctLogSpki: f.ctLogSpki, ctLogUrl: f.ctUrl });
    return { ...json, timestampAuthorities: [timestampAuthorityFor(f)] } as RootJson;
  }



  function signer(token: string, f: SuiteFulgor = fulgor) {
    return new FulcioSigner({ fulcioBaseURL: f.caUrl, identityProvider: { getToken: async () => token } });
  }

  /** A message-signature bundle: certificate from `ca`, timestamp from `tsa`'s TSA (base URL: the client adds the path). */
  const signBlob = (token: string, blob: Buffer, ca: SuiteFulgor = fulgor, tsa: SuiteFulgor = ca) => signBlobThrough(token, blob, ca.caUrl, tsa.caUrl);
  const verifier = verifierFor;


  /** A DSSE bundle, the TSA given by its full URL as a signing config lists it. */
  async function signAttestation(token: string, payload: Buffer, ca: SuiteFulgor = fulgor): Promise<Bundle> {
    const builder = new DSSEBundleBuilder({
      signer: signer(token, ca),
      witnesses: [new TSAWitness({ tsaBaseURL: `${ca.caUrl}/api/v1/timestamp` })],
    });
    return viaJson(await builder.create({ data: payload, type: 'application/vnd.in-toto+json' }));
  }

  const githubPolicy: () => VerificationPolicy = () => ({
    subjectAlternativeName: exactly(GITHUB_SAN),
    extensions: { issuer: github.url },
  });

  /** The leaf the bundle carries: v0.3 has `certificate`; sigstore-js's message-signature builder still writes a
   * v0.2 bundle with a one-element `x509CertificateChain`. */
  const leafOf = (bundle: Bundle) => {
    const vm = bundle.verificationMaterial.content;
    const der =
      vm.$case === 'certificate'
        ? vm.certificate.rawBytes
        : vm.$case === 'x509CertificateChain'
          ? vm.x509CertificateChain.certificates[0]?.rawBytes
          : undefined;
    assert.ok(der, `a certificate in the bundle (${vm.$case})`);
    return new X509Certificate(der);
  };

  function assertFails(fn: () => unknown, errClass: typeof VerificationError | typeof PolicyError, code: string, message?: RegExp) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof errClass, `expected ${errClass.name}, got ${String(e)}`);
      assert.equal((e as VerificationError).code, code, (e as Error).message);
      if (message) assert.match((e as Error).message, message);
      return true;
    });
  }

  describe('a GitHub Actions identity, message-signature bundle', () => {
    const blob = Buffer.from('fulgor conformance artifact\n');
    let bundle: Bundle;

    before(async () => {
      bundle = await signBlob(await github.mint('github'), blob);
    });

    it('produces a bundle with the leaf only (embedded SCT), one RFC 3161 timestamp and no tlog entry', () => {
      // @sigstore/sign's MessageSignatureBundleBuilder always writes v0.2 with a (leaf-only) certificate chain.
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.2');
      const vm = bundle.verificationMaterial.content;
      assert.equal(vm.$case === 'x509CertificateChain' && vm.x509CertificateChain.certificates.length, 1);
      assert.equal(bundle.verificationMaterial.tlogEntries.length, 0);
      assert.equal(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);
      const ts = RFC3161Timestamp.parse(Buffer.from(bundle.verificationMaterial.timestampVerificationData!.rfc3161Timestamps[0]!.signedTimestamp));
      const tsaCert = new X509Certificate(fulgor.tsaChain![0]!);
      assert.equal(ts.signerSerialNumber.toString('hex').toUpperCase().replace(/^0+/, ''), tsaCert.serialNumber.replace(/^0+/, ''), "signed by Fulgor's TSA");
      const leaf = leafOf(bundle);
      assert.ok(leaf.verify(new X509Certificate(fulgor.caChain[0]!).publicKey), 'issued by our intermediate');
      assert.equal(leaf.subjectAltName, `URI:${GITHUB_SAN}`);
      assert.ok(new x509.X509Certificate(leaf.raw).getExtension(OID_SCT_LIST), 'the SCT list is embedded');
    });

    it('verifies with the SCT required, and returns the signer identity', () => {
      const signer = verifier(rootFor(fulgor)).verify(toSignedEntity(bundle, blob), githubPolicy());
      assert.equal(signer.identity?.subjectAlternativeName, GITHUB_SAN);
      assert.equal(signer.identity?.extensions?.issuer, github.url);
      assert.equal(signer.key.asymmetricKeyType, 'ec');
    });

    it('verifies with no policy at all too (identity still reported)', () => {
      const signer = verifier(rootFor(fulgor)).verify(toSignedEntity(bundle, blob));
      assert.equal(signer.identity?.subjectAlternativeName, GITHUB_SAN);
    });

    it('fails for a tampered blob', () => {
      const tampered = Buffer.from(blob);
      tampered[0] = tampered[0]! ^ 1;
      assertFails(() => verifier(rootFor(fulgor)).verify(toSignedEntity(bundle, tampered), githubPolicy()), VerificationError, 'SIGNATURE_ERROR');
    });

    it('fails for a wrong expected SAN or issuer', () => {
      const v = verifier(rootFor(fulgor));
      const entity = toSignedEntity(bundle, blob);
      const wrongSan = exactly('https://github.com/acme/other/.github/workflows/release.yml@refs/heads/main');
      assertFails(() => v.verify(entity, { ...githubPolicy(), subjectAlternativeName: wrongSan }), PolicyError, 'UNTRUSTED_SIGNER_ERROR');
      // Anchoring matters: a prefix of the real SAN matches unanchored, not anchored.
      assertFails(
        () => v.verify(entity, { ...githubPolicy(), subjectAlternativeName: exactly(GITHUB_SAN.replace(/@refs\/heads\/main$/, '')) }),
        PolicyError,
        'UNTRUSTED_SIGNER_ERROR',
      );
      assertFails(() => v.verify(entity, { ...githubPolicy(), extensions: { issuer: email.url } }), PolicyError, 'UNTRUSTED_SIGNER_ERROR');
    });

    it('fails when the trusted root has no CT log: the SCT is required', () => {
      const root = { ...rootFor(fulgor), ctlogs: [] };
      assertFails(() => verifier(root).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'CERTIFICATE_ERROR', /SCT/);
    });

    it('fails when the trusted root lists an unrelated CT log key (its own log ID)', () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      const [log] = rootFor(fulgor).ctlogs;
      const root = {
        ...rootFor(fulgor),
        ctlogs: [{ ...log!, publicKey: { ...log!.publicKey, rawBytes: b64(other) }, logId: { keyId: b64(logIdFor(other)) } }],
      };
      assertFails(() => verifier(root).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'CERTIFICATE_ERROR', /SCT/);
    });

    it("fails when the trusted root holds a different key under our log's ID: the SCT signature is checked", () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      const [log] = rootFor(fulgor).ctlogs;
      const root = { ...rootFor(fulgor), ctlogs: [{ ...log!, publicKey: { ...log!.publicKey, rawBytes: b64(other) } }] };
      assertFails(() => verifier(root).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'CERTIFICATE_ERROR', /SCT/);
    });

    it('fails when the CT log is only valid from after the SCT was issued', () => {
      const [log] = rootFor(fulgor).ctlogs;
      const later = rfc3339(new Date(Date.now() + 3600_000));
      const root = { ...rootFor(fulgor), ctlogs: [{ ...log!, publicKey: { ...log!.publicKey, validFor: { start: later } } }] };
      assertFails(() => verifier(root).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'CERTIFICATE_ERROR', /SCT/);
    });

    it('fails without the timestamp authority in the trusted root (the chain is checked at a verified time)', () => {
      const root = { ...rootFor(fulgor), timestampAuthorities: [] };
      assertFails(() => verifier(root).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'TIMESTAMP_ERROR');
    });

    it("fails against another Fulgor's trusted root (different CA and log)", async () => {
      const other = await startFulgor({
        OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' } },
      });
      try {
        // (The timestamp stays trusted: each Fulgor has its own TSA, and this checks the CA chain.)
        const otherCa = { ...rootFor(other), timestampAuthorities: rootFor(fulgor).timestampAuthorities };
        assertFails(
          () => verifier(otherCa).verify(toSignedEntity(bundle, blob), githubPolicy()),
          VerificationError,
          'CERTIFICATE_ERROR',
          /certificate chain/,
        );
        // ...and with the other CA's chain but our CT log: the chain check fails before the SCT check.
        const mixed = { ...rootFor(fulgor), certificateAuthorities: rootFor(other).certificateAuthorities };
        assertFails(() => verifier(mixed).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'CERTIFICATE_ERROR', /certificate chain/);
        // ...and with our CA chain but the other log's key: the chain passes and the SCT check fails.
        const otherLog = { ...rootFor(fulgor), ctlogs: rootFor(other).ctlogs };
        assertFails(() => verifier(otherLog).verify(toSignedEntity(bundle, blob), githubPolicy()), VerificationError, 'CERTIFICATE_ERROR', /SCT/);
      } finally {
        await other.close();
      }
    });
  });

  it('a GitHub Actions identity, DSSE bundle: signs and verifies, and fails for a different identity policy', async () => {
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [], predicateType: 'x' }));
    const bundle = await signAttestation(await github.mint('github'), payload);
    assert.equal(bundle.content.$case, 'dsseEnvelope');
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(leafOf(bundle).subjectAltName, `URI:${GITHUB_SAN}`);
    const signer_ = verifier(rootFor(fulgor)).verify(toSignedEntity(bundle), githubPolicy());
    assert.equal(signer_.identity?.subjectAlternativeName, GITHUB_SAN);
    assertFails(
      () => verifier(rootFor(fulgor)).verify(toSignedEntity(bundle), { subjectAlternativeName: exactly(EMAIL_SAN) }),
      PolicyError,
      'UNTRUSTED_SIGNER_ERROR',
    );
    assertFails(
      () => verifier({ ...rootFor(fulgor), ctlogs: [] }).verify(toSignedEntity(bundle), githubPolicy()),
      VerificationError,
      'CERTIFICATE_ERROR',
    );
  });

  describe('an email identity (sigstore-js proves possession over the email claim)', () => {
    const blob = Buffer.from('signed by a person\n');
    let bundle: Bundle;

    before(async () => {
      bundle = await signBlob(await email.mint('email'), blob);
    });

    it('verifies with the email SAN and the issuer, SCT required', () => {
      const signer = verifier(rootFor(fulgor)).verify(toSignedEntity(bundle, blob), {
        subjectAlternativeName: exactly(EMAIL_SAN),
        extensions: { issuer: email.url },
      });
      assert.equal(signer.identity?.subjectAlternativeName, EMAIL_SAN);
      assert.equal(signer.identity?.extensions?.issuer, email.url);
    });

    it('fails for a tampered blob, a wrong email, a wrong issuer, and without the CT log', () => {
      const policy = { subjectAlternativeName: exactly(EMAIL_SAN), extensions: { issuer: email.url } };
      const v = verifier(rootFor(fulgor));
      assertFails(() => v.verify(toSignedEntity(bundle, Buffer.from('signed by a persoN\n')), policy), VerificationError, 'SIGNATURE_ERROR');
      assertFails(
        () => v.verify(toSignedEntity(bundle, blob), { ...policy, subjectAlternativeName: exactly('mallory@example.com') }),
        PolicyError,
        'UNTRUSTED_SIGNER_ERROR',
      );
      assertFails(() => v.verify(toSignedEntity(bundle, blob), { ...policy, extensions: { issuer: github.url } }), PolicyError, 'UNTRUSTED_SIGNER_ERROR');
      assertFails(
        () => verifier({ ...rootFor(fulgor), ctlogs: [] }).verify(toSignedEntity(bundle, blob), policy),
        VerificationError,
        'CERTIFICATE_ERROR',
      );
    });
  });

  describe("no Rekor, Fulgor's TSA only: the signature outlives its 10-minute certificate", () => {
    const HOUR = 3600_000;
    const blob = Buffer.from('released an hour ago\n');
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [], predicateType: 'y' }));
    let past: TestFulgor, present: TestFulgor;
    let blobBundle: Bundle, dsseBundle: Bundle;

    before(async () => {
      const issuers = { OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' } } };
      // CA, CT log and TSA all run an hour in the past: the certificate and the timestamp are an hour old.
      past = await startFulgor(issuers, { clock: () => new Date(Date.now() - HOUR) });
      // The same keys (so the same TSA) on the present clock.
      present = await startFulgor(issuers, { keysDir: past.keysDir });
      const token = () => github.mint('github', { now: new Date(Date.now() - HOUR) });
      blobBundle = await signBlob(await token(), blob, past);
      dsseBundle = await signAttestation(await token(), payload, past);
    });
    after(async () => {
      await present?.close();
      await past?.close();
    });

    const timestampOf = (b: Bundle) => RFC3161Timestamp.parse(Buffer.from(b.verificationMaterial.timestampVerificationData!.rfc3161Timestamps[0]!.signedTimestamp));

    it('the certificate has expired, and the timestamp (from the same clock) falls inside its validity', () => {
      const leaf = leafOf(blobBundle);
      assert.ok(new Date(leaf.validTo) < new Date(), `expired (${leaf.validTo})`);
      const genTime = timestampOf(blobBundle).signingTime;
      assert.ok(genTime >= new Date(leaf.validFrom) && genTime <= new Date(leaf.validTo), `${genTime.toISOString()} within ${leaf.validFrom} .. ${leaf.validTo}`);
      assert.equal(blobBundle.verificationMaterial.tlogEntries.length, 0);
    });

    it('a blob (message signature) verifies now, after expiry: tlogThreshold 0, timestampThreshold 1, ctlogThreshold 1', () => {
      const s = verifier(rootFor(past)).verify(toSignedEntity(blobBundle, blob), githubPolicy());
      assert.equal(s.identity?.subjectAlternativeName, GITHUB_SAN);
    });

    it('an attestation (DSSE) verifies now, after expiry', () => {
      assert.equal(dsseBundle.content.$case, 'dsseEnvelope');
      assert.equal(dsseBundle.verificationMaterial.tlogEntries.length, 0);
      const s = verifier(rootFor(past)).verify(toSignedEntity(dsseBundle), githubPolicy());
      assert.equal(s.identity?.subjectAlternativeName, GITHUB_SAN);
    });

    it('the same bundles verify from the trusted root the exported TUF repository delivers through @sigstore/tuf (served over HTTP)', async () => {
      const out = mkdtempSync(join(tmpdir(), 'fulgor-conformance-export-'));
      const server = createServer((req, res) => {
        const path = resolve(out, 'tuf', '.' + decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
        if (!path.startsWith(resolve(out, 'tuf') + sep) || !existsSync(path)) return void res.writeHead(404).end();
        res.writeHead(200).end(readFileSync(path));
      });
      try {
        // The real CLI exports from the keys directory the signing server used.
        await promisify(execFile)(process.execPath, [
          BIN, 'trust', 'export', '--keys-dir', past.keysDir, '--out', join(out, 'export'), '--ca-url', past.caUrl,
          '--ct-log-url', past.ctUrl, '--ct-log-public-key', join(past.keysDir, KEY_FILES.ctPub), '--tuf-keys-dir', join(out, 'tuf-keys'),
        ]);
        renameSync(join(out, 'export', 'tuf'), join(out, 'tuf'));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        const mirrorURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const delivered = await getTrustedRoot({ mirrorURL, rootPath: join(out, 'tuf', '1.root.json'), cachePath: join(out, 'cache') });
        assert.equal(delivered.timestampAuthorities.length, 1);
        const fromTuf = new Verifier(toTrustMaterial(delivered), VERIFY_OPTIONS);
        assert.equal(fromTuf.verify(toSignedEntity(blobBundle, blob), githubPolicy()).identity?.subjectAlternativeName, GITHUB_SAN);
        assert.equal(fromTuf.verify(toSignedEntity(dsseBundle), githubPolicy()).identity?.subjectAlternativeName, GITHUB_SAN);
        assertFails(() => fromTuf.verify(toSignedEntity(blobBundle, Buffer.from('another blob')), githubPolicy()), VerificationError, 'SIGNATURE_ERROR');
      } finally {
        if (server.listening) await new Promise((r) => server.close(r));
        rmSync(out, { recursive: true, force: true });
      }
    });

    it('fails with a timestamp over another digest (the attestation’s, in the blob bundle)', () => {
      const swapped = viaJson({
        ...blobBundle,
        verificationMaterial: { ...blobBundle.verificationMaterial, timestampVerificationData: dsseBundle.verificationMaterial.timestampVerificationData },
      });
      assertFails(() => verifier(rootFor(past)).verify(toSignedEntity(swapped, blob), githubPolicy()), VerificationError, 'TIMESTAMP_ERROR');
    });

    it('fails when the trusted root lacks the TSA chain, or trusts another TSA', () => {
      assertFails(
        () => verifier({ ...rootFor(past), timestampAuthorities: [] }).verify(toSignedEntity(blobBundle, blob), githubPolicy()),
        VerificationError,
        'TIMESTAMP_ERROR',
      );
      const otherTsa = { ...rootFor(past), timestampAuthorities: [timestampAuthorityFor(fulgor)] };
      assertFails(() => verifier(otherTsa).verify(toSignedEntity(dsseBundle), githubPolicy()), VerificationError, 'TIMESTAMP_ERROR');
    });

    it('fails when the timestamp falls outside the certificate’s validity (stamped now, an hour after issuance)', async () => {
      const late = await signBlob(await github.mint('github', { now: new Date(Date.now() - HOUR) }), blob, past, present);
      assert.ok(timestampOf(late).signingTime > new Date(leafOf(late).validTo), 'stamped after expiry');
      assert.throws(
        () => verifier(rootFor(past)).verify(toSignedEntity(late, blob), githubPolicy()),
        (e: unknown) => {
          assert.ok(e instanceof VerificationError && e.code === 'CERTIFICATE_ERROR', String(e));
          assert.match(String((e.cause as Error | undefined)?.message), /not valid or expired at the specified date/);
          return true;
        },
      );
    });
  });
});
