// The PKCS#11 backend against a real SoftHSM2 token in a temp dir. Skipped (saying so) without softhsm2.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, verify, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../../../ca/authority.js';
import { clientKeyFromSpki } from '../../../ca/client-key.js';
import { createIssuingCa } from '../../../ca/issuing-ca.js';
import { createIssuingCaCertificate, createRootCertificate } from '../../../ca/ca-profile.js';
import { encodeName } from '../../../ca/name.js';
import { fixedClock } from '../../../lib/clock.js';
import type { Principal } from '../../../oidc/principal.js';
import { generatePkcs11KeyPair, KeyError, openSigner, parseKeyUri, type ClosableSigner, type KeyAlgorithm, type Pkcs11KeyRef } from '../../../signer/index.js';
import { attribute, openToken } from '../../../signer/pkcs11-token.js';
import { createSoftHsm, SOFTHSM_MODULE, softhsmMissing, type SoftHsm } from '../../../signer/softhsm.js';

const PIN = '31415926';
const HASH: Record<KeyAlgorithm, string> = { 'ecdsa-p256': 'sha256', 'ecdsa-p384': 'sha384', 'rsa-3072': 'sha256', 'rsa-4096': 'sha256' };

function verifies(signer: ClosableSigner, hash: string, data: Buffer, signature: Buffer): boolean {
  return verify(hash, data, { key: createPublicKey({ key: signer.spki, format: 'der', type: 'spki' }), dsaEncoding: 'der' }, signature);
}

const keyError = (re: RegExp, ...absent: string[]) => (e: unknown) => {
  assert.ok(e instanceof KeyError, `expected a KeyError, got ${e instanceof Error ? e.stack : String(e)}`);
  assert.match(e.message, re);
  for (const a of absent) assert.ok(!e.message.includes(a), `message shows ${a}: ${e.message}`);
  return true;
};

describe('signer PKCS#11 backend (SoftHSM2)', function () {
  let hsm: SoftHsm;
  let work: string;
  let pinFile: string;
  const importedKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const uri = (object: string, query = `module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`) =>
    `pkcs11:token=fulgor;object=${object}?${query}`;

  before(async function () {
    const missing = softhsmMissing();
    if (missing) {
      console.log(`    [pkcs11] SKIPPED: ${missing} (Debian/Ubuntu: apt-get install softhsm2)`);
      this.skip();
    }
    hsm = await createSoftHsm();
    work = await mkdtemp(join(tmpdir(), 'fulgor-pkcs11-'));
    pinFile = join(work, 'pin');
    await writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
    await hsm.initToken('fulgor', PIN);
    await hsm.initToken('twin', PIN);
    await hsm.initToken('twin', PIN);
    const pem = join(work, 'imported.pem');
    await writeFile(pem, importedKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await hsm.importKey(pem, 'fulgor', 'imported', 'a1b2', PIN);
  });
  after(async () => {
    await hsm?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072'] as const) {
    it(`generates a non-extractable ${algorithm} key inside the token and signs with it`, async () => {
      const generated = await generatePkcs11KeyPair(uri(`gen-${algorithm}`), algorithm);
      const signer = await openSigner(uri(`gen-${algorithm}`));
      try {
        assert.deepEqual(signer.spki, generated.spki);
        assert.equal(signer.description, `PKCS#11 token "fulgor" key labelled "gen-${algorithm}"`);
        const data = randomBytes(1000);
        assert.ok(verifies(signer, HASH[algorithm], data, await signer.sign(data)));
        const key = createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
        if (algorithm === 'rsa-3072') assert.equal(key.asymmetricKeyDetails?.modulusLength, 3072);
        else assert.equal(key.asymmetricKeyDetails?.namedCurve, algorithm === 'ecdsa-p256' ? 'prime256v1' : 'secp384r1');
      } finally {
        await signer.close();
      }
      // The private key is a token object, sensitive and never extractable; the id links both halves.
      const token = await openToken(parseKeyUri(uri(`gen-${algorithm}`)) as Pkcs11KeyRef, {});
      try {
        const { api, ck } = token.module;
        api.C_FindObjectsInit(token.session, [{ type: ck.CKA_CLASS, value: ck.CKO_PRIVATE_KEY }, { type: ck.CKA_LABEL, value: `gen-${algorithm}` }]);
        const [priv] = api.C_FindObjects(token.session, 2);
        api.C_FindObjectsFinal(token.session);
        assert.ok(priv);
        for (const [name, type, want] of [
          ['CKA_TOKEN', ck.CKA_TOKEN, 1],
          ['CKA_SENSITIVE', ck.CKA_SENSITIVE, 1],
          ['CKA_EXTRACTABLE', ck.CKA_EXTRACTABLE, 0],
          ['CKA_SIGN', ck.CKA_SIGN, 1],
        ] as const)
          assert.equal(attribute(token.module, token.session, priv, type)?.[0], want, name);
        assert.deepEqual(attribute(token.module, token.session, priv, ck.CKA_ID), generated.id);
        assert.equal(generated.id.length, 16);
      } finally {
        closeToken(token);
      }
    });
  }

  it('refuses to generate over an existing label or id', async () => {
    await assert.rejects(
      generatePkcs11KeyPair(uri('imported'), 'ecdsa-p256'),
      keyError(/PKCS#11 token "fulgor" already holds an object labelled "imported"; refusing to replace it/),
    );
    await assert.rejects(
      generatePkcs11KeyPair(`pkcs11:token=fulgor;object=fresh;id=%a1%b2?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`, 'ecdsa-p256'),
      keyError(/already holds an object with id a1b2/),
    );
    await assert.rejects(generatePkcs11KeyPair(`pkcs11:token=fulgor;id=%01?pin-value=${PIN}`, 'ecdsa-p256'), keyError(/needs a label \(object=/));
  });

  it('signs with a key imported by softhsm2-util, found by label or by id alone', async () => {
    const spki = importedKey.publicKey.export({ type: 'spki', format: 'der' });
    for (const ref of [uri('imported'), `pkcs11:token=fulgor;id=%a1%b2?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`]) {
      const signer = await openSigner(ref);
      try {
        assert.deepEqual(signer.spki, spki);
        const data = Buffer.from('imported');
        assert.ok(verify('sha256', data, { key: importedKey.publicKey, dsaEncoding: 'der' }, await signer.sign(data)));
      } finally {
        await signer.close();
      }
    }
  });

  it('signs 200 concurrent requests through a small session pool, every signature valid', async () => {
    const signer = await openSigner(uri('imported'), { sessions: 4 });
    try {
      const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`request ${i}`));
      const signatures = await Promise.all(messages.map((m) => signer.sign(m)));
      messages.forEach((m, i) => assert.ok(verifies(signer, 'sha256', m, signatures[i]!), `signature ${i}`));
      assert.equal(new Set(signatures.map((s) => s.toString('hex'))).size, 200);
    } finally {
      await signer.close();
    }
    await assert.rejects(signer.sign(Buffer.from('late')), keyError(/signer is closed/));
  });

  it('close waits for signatures in flight', async () => {
    const signer = await openSigner(uri('gen-rsa-3072'));
    const pending = Array.from({ length: 20 }, (_, i) => signer.sign(Buffer.from(`in flight ${i}`)));
    await signer.close();
    const signatures = await Promise.all(pending);
    signatures.forEach((s, i) => assert.ok(verifies(signer, 'sha256', Buffer.from(`in flight ${i}`), s)));
  });

  it('says the PIN is wrong and where it came from, never the PIN', async () => {
    const wrong = join(work, 'wrong-pin');
    await writeFile(wrong, '27182818\n');
    await assert.rejects(
      openSigner(uri('imported', `module-path=${SOFTHSM_MODULE}&pin-source=file:${wrong}`)),
      keyError(new RegExp(`PKCS#11 token "fulgor": wrong PIN \\(from PIN file ${wrong}\\)`), '27182818'),
    );
    await assert.rejects(
      openSigner(uri('imported', `module-path=${SOFTHSM_MODULE}&pin-value=1618033`)),
      keyError(/wrong PIN \(from the pin-value in the URI\)/, '1618033'),
    );
    await assert.rejects(
      openSigner(uri('imported', `module-path=${SOFTHSM_MODULE}`), { env: { FULGOR_PKCS11_PIN: '1414213' } }),
      keyError(/wrong PIN \(from FULGOR_PKCS11_PIN\)/, '1414213'),
    );
    await assert.rejects(
      openSigner(uri('imported', `module-path=${SOFTHSM_MODULE}`), { env: {} }),
      keyError(/PKCS#11 token "fulgor" needs a PIN: add pin-source=file:PATH to the URI or set FULGOR_PKCS11_PIN/),
    );
  });

  it('takes the module and PIN from FULGOR_PKCS11_MODULE and FULGOR_PKCS11_PIN when the URI has none', async () => {
    const signer = await openSigner('pkcs11:token=fulgor;object=imported', { env: { FULGOR_PKCS11_MODULE: SOFTHSM_MODULE, FULGOR_PKCS11_PIN: PIN } });
    await signer.close();
    await assert.rejects(openSigner('pkcs11:token=fulgor;object=imported', { env: {} }), keyError(/no PKCS#11 module; add module-path=.* or set FULGOR_PKCS11_MODULE/));
  });

  it('names the missing key, token or module', async () => {
    await assert.rejects(
      openSigner(uri('issuing-ca')),
      keyError(/PKCS#11 token "fulgor" has no private key labelled "issuing-ca" \(private keys visible: .*"imported"/),
    );
    await assert.rejects(
      openSigner(`pkcs11:token=fulgor;object=imported;id=%ff?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`),
      keyError(/has no private key labelled "imported" and with id ff/),
    );
    await assert.rejects(
      openSigner(`pkcs11:token=absent;object=k?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`),
      keyError(/no PKCS#11 token matches token="absent" in module .* \(tokens present: "fulgor", "twin", "twin"\)/),
    );
    await assert.rejects(
      openSigner(`pkcs11:token=twin;object=k?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`),
      keyError(/2 PKCS#11 tokens match token="twin" .*; add serial= to the URI/),
    );
    await assert.rejects(openSigner(uri('imported', `module-path=/nonexistent/module.so&pin-source=file:${pinFile}`)), keyError(/PKCS#11 module \/nonexistent\/module.so does not exist/));
    await assert.rejects(openSigner(uri('imported', `module-path=${SOFTHSM_MODULE}&pin-source=file:${work}/none`)), keyError(/PIN file .*\/none does not exist/));
  });

  it('signs a CA chain and a Fulcio leaf with keys held in the token', async () => {
    await generatePkcs11KeyPair(uri('root-ca'), 'ecdsa-p384');
    await generatePkcs11KeyPair(uri('issuing-ca'), 'ecdsa-p256');
    const root = await openSigner(uri('root-ca'));
    const issuing = await openSigner(uri('issuing-ca'));
    try {
      const now = new Date('2026-03-01T00:00:00Z');
      const later = new Date('2036-03-01T00:00:00Z');
      // The production profiles (ca/ca-profile.ts), signed by keys that never leave the token.
      const validity = { notBefore: now, notAfter: later };
      const rootCert = await createRootCertificate({ subject: encodeName({ organization: 'Example', commonName: 'Example Root CA' }), signer: root, validity });
      const interCert = await createIssuingCaCertificate({
        subject: encodeName({ organization: 'Example', commonName: 'Example Issuing CA' }),
        spki: issuing.spki,
        issuerCert: rootCert,
        issuerSigner: root,
        validity,
      });
      const rootX = new X509Certificate(rootCert);
      assert.ok(rootX.verify(rootX.publicKey), 'the root verifies under its own (token) key');
      assert.ok(new X509Certificate(interCert).verify(rootX.publicKey), 'the intermediate verifies under the root');

      const ca = createCertificateAuthority(createIssuingCa([interCert, rootCert], issuing), { clock: fixedClock(new Date('2026-06-01T12:00:00Z')) });
      const principal: Principal = {
        name: 'dev@example.com',
        san: { kind: 'email', value: 'dev@example.com' },
        extensions: { issuer: 'https://issuer.example.com' },
      };
      const client = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      const pre = await ca.precertificate(principal, clientKeyFromSpki(client));
      const leaf = await ca.finalize(pre, Buffer.from('0005000301020', 'hex'));
      assert.ok(new X509Certificate(leaf).verify(new X509Certificate(interCert).publicKey), 'the leaf verifies under the token-held issuing CA');
      assert.ok(new X509Certificate(pre.der).verify(new X509Certificate(interCert).publicKey), 'and so does the precertificate');
    } finally {
      await root.close();
      await issuing.close();
    }
  });
});

function closeToken(token: Awaited<ReturnType<typeof openToken>>): void {
  token.module.api.C_CloseSession(token.session);
  token.module.release();
}
