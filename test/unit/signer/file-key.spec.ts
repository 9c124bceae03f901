import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { children, octetString, parse, sequence, unsignedInteger } from '../../../lib/der.js';
import { toPem } from '../../../lib/pem.js';
import { schemeFor } from '../../../lib/signer.js';
import {
  generateSoftwareKey,
  KeyError,
  keyFilePermissionProblem,
  openSigner,
  privateKeyPem,
  writePrivateKeyFile,
  type ClosableSigner,
  type SignerBackend,
} from '../../../signer/index.js';

const DATA = Buffer.from('a TBSCertificate, more or less');

async function verifies(signer: ClosableSigner, hash: string | null): Promise<boolean> {
  const sig = await signer.sign(DATA);
  const pub = createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
  return verify(hash, DATA, { key: pub, dsaEncoding: 'der' }, sig);
}

const keyError = (re: RegExp, ...absent: string[]) => (e: unknown) => {
  assert.ok(e instanceof KeyError, `expected a KeyError, got ${String(e)}`);
  assert.match(e.message, re);
  for (const a of absent) assert.ok(!e.message.includes(a), `message shows ${a}: ${e.message}`);
  return true;
};

describe('signer file backend', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fulgor-filekey-'));
    await chmod(dir, 0o700);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const put = async (name: string, text: string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, text, { mode: 0o600 });
    return path;
  };

  const plain: [string, () => KeyObject, string | null][] = [
    ['ECDSA P-256', () => generateSoftwareKey('ecdsa-p256'), 'sha256'],
    ['ECDSA P-384', () => generateSoftwareKey('ecdsa-p384'), 'sha384'],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'sha256'],
    ['Ed25519', () => generateKeyPairSync('ed25519').privateKey, null],
  ];
  for (const [name, make, hash] of plain) {
    it(`signs with a plain PKCS#8 ${name} key, verifiable against its spki`, async () => {
      const key = make();
      const path = await put('ca.key', privateKeyPem(key));
      for (const ref of [path, `file:${path}`]) {
        const signer = await openSigner(ref);
        assert.deepEqual(signer.spki, createPublicKey(key).export({ type: 'spki', format: 'der' }));
        assert.deepEqual(signer.algorithmIdentifier, schemeFor(key).algorithmIdentifier);
        assert.equal(signer.description, `key file ${path}`);
        assert.ok(await verifies(signer, hash));
        await signer.close();
      }
    });
  }

  it('writes encrypted PKCS#8 (AES-256-CBC, 0600, never overwriting) and opens it with a passphrase file or FULGOR_KEY_PASSPHRASE', async () => {
    const key = generateSoftwareKey('ecdsa-p256');
    const path = join(dir, 'ca.key');
    await writePrivateKeyFile(path, key, 'correct horse');
    const text = await readFile(path, 'utf8');
    assert.match(text, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await assert.rejects(writePrivateKeyFile(path, key), keyError(/already exists; refusing to overwrite/));

    const passFile = await put('pass', 'correct horse\n'); // trailing newline stripped
    const fromFile = await openSigner(path, { passphraseFile: passFile, env: { FULGOR_KEY_PASSPHRASE: 'wrong' } });
    assert.ok(await verifies(fromFile, 'sha256'));
    const fromEnv = await openSigner(path, { env: { FULGOR_KEY_PASSPHRASE: 'correct horse' } });
    assert.ok(await verifies(fromEnv, 'sha256'));
    assert.deepEqual(fromEnv.spki, createPublicKey(key).export({ type: 'spki', format: 'der' }));
  });

  it('says an encrypted key needs a passphrase, naming the file and both ways to give one', async () => {
    const path = await put('ca.key', privateKeyPem(generateSoftwareKey('ecdsa-p256'), 'pw'));
    await assert.rejects(
      openSigner(path, { env: {} }),
      keyError(new RegExp(`key file ${path} is encrypted and no passphrase was given \\(use --key-passphrase-file FILE or FULGOR_KEY_PASSPHRASE\\)`), 'error:'),
    );
  });

  it('says the passphrase is wrong also when a wrong one happens to pass the padding check (about 1 in 256)', async () => {
    const pem = privateKeyPem(generateSoftwareKey('ecdsa-p256'), 'right one');
    const path = await put('padded.key', pem);
    // Find a wrong passphrase whose decryption fails after the CBC padding check, in the decoder, as OpenSSL does
    // for about one wrong passphrase in 256 (4,000 tries miss one with a probability below 1e-6).
    let lucky: string | undefined;
    for (let i = 0; i < 4000 && lucky === undefined; i++) {
      try {
        createPrivateKey({ key: pem, format: 'pem', passphrase: `wrong ${i}` });
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_OSSL_BAD_DECRYPT') lucky = `wrong ${i}`;
      }
    }
    assert.ok(lucky, 'no wrong passphrase got past the padding check');
    await assert.rejects(
      openSigner(path, { env: { FULGOR_KEY_PASSPHRASE: lucky } }),
      keyError(/wrong passphrase \(from FULGOR_KEY_PASSPHRASE\), or the encrypted key is corrupt/, lucky, 'error:'),
    );
  });

  it('says the passphrase is wrong and where it came from, without showing it', async () => {
    const path = await put('ca.key', privateKeyPem(generateSoftwareKey('ecdsa-p384'), 'right one'));
    const passFile = await put('pass', 'hunter2\n');
    await assert.rejects(
      openSigner(path, { passphraseFile: passFile }),
      keyError(new RegExp(`key file ${path}: wrong passphrase \\(from passphrase file ${passFile}\\)`), 'hunter2', 'error:'),
    );
    await assert.rejects(openSigner(path, { env: { FULGOR_KEY_PASSPHRASE: 'hunter3' } }), keyError(/wrong passphrase \(from FULGOR_KEY_PASSPHRASE\)/, 'hunter3'));
    await assert.rejects(openSigner(path, { passphraseFile: await put('empty', '\n') }), keyError(/passphrase file .*empty is empty/));
    await assert.rejects(openSigner(path, { passphraseFile: join(dir, 'nope') }), keyError(/passphrase file .*nope does not exist/));
  });

  it('names the file and the problem for missing, corrupt, non-key and unsupported files', async () => {
    const good = privateKeyPem(generateSoftwareKey('ecdsa-p256'));
    const pkcs8Der = generateSoftwareKey('ecdsa-p256').export({ type: 'pkcs8', format: 'der' });
    const body = good.split('\n').slice(1, -2).join('');
    const cases: [string, string | Buffer, RegExp][] = [
      ['garbled.key', good.replace(body.slice(10, 30), '!!!!'), /the PRIVATE KEY block is corrupt/],
      ['not-pkcs8.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /the PRIVATE KEY block is corrupt \(not a PKCS#8 PrivateKeyInfo\)/],
      [
        'bad-ec.key',
        // a structurally valid PKCS#8 PrivateKeyInfo (EC algorithm) whose key bytes are garbage
        toPem(sequence(unsignedInteger(Buffer.from([0])), children(parse(pkcs8Der))[1]!.raw, octetString(Buffer.from('garbage'))), 'PRIVATE KEY'),
        /the EC private key is corrupt/,
      ],
      ['bad-enc.key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n', /ENCRYPTED PRIVATE KEY block is corrupt/],
      ['pub.pem', createPublicKey(good).export({ type: 'spki', format: 'pem' }) as string, /holds PUBLIC KEY, not a private key/],
      ['random.txt', 'hello\n', /is not a PEM private key \(expected -----BEGIN PRIVATE KEY-----/],
      ['two.key', good + good, /holds 2 private keys/],
      ['x25519.key', privateKeyPem(generateKeyPairSync('x25519').privateKey), /unsupported key type x25519/],
      ['k1.key', privateKeyPem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey), /unsupported key type EC curve secp256k1/],
    ];
    for (const [name, content, message] of cases) {
      const path = await put(name, content);
      await assert.rejects(openSigner(path), keyError(new RegExp(`key file ${path}[: ].*`)), name);
      await assert.rejects(openSigner(path), keyError(message, 'error:', 'DECODER'), name);
    }
    await assert.rejects(openSigner(join(dir, 'missing.key')), keyError(new RegExp(`key file ${dir}/missing.key does not exist`)));
    await assert.rejects(openSigner(dir), keyError(/is a directory, not a key file/));
  });

  it('flags key files others can read and directories others can write', async () => {
    const path = await put('ca.key', privateKeyPem(generateSoftwareKey('ecdsa-p256')));
    assert.equal(await keyFilePermissionProblem(path), undefined);
    await chmod(path, 0o644);
    assert.match((await keyFilePermissionProblem(path))!, new RegExp(`key file ${path} is readable by its group and other users \\(mode 0644; chmod 600 `));
    await chmod(path, 0o640);
    assert.match((await keyFilePermissionProblem(path))!, /readable by its group \(mode 0640/);
    await chmod(path, 0o600);
    await chmod(dir, 0o777);
    assert.match((await keyFilePermissionProblem(path))!, new RegExp(`^its directory ${dir} is writable by its group and other users \\(mode 0777`));
    await chmod(dir, 0o1777); // sticky: others cannot replace our file
    assert.equal(await keyFilePermissionProblem(path), undefined);
  });

  it('hands other schemes to a registered backend, and refuses them otherwise', async () => {
    const key = generateSoftwareKey('ecdsa-p256');
    const path = await put('ca.key', privateKeyPem(key));
    const seen: string[] = [];
    const backend: SignerBackend = {
      scheme: 'testkms',
      open: async (uri, options) => {
        seen.push(uri);
        const inner = await openSigner(path, options);
        return { ...inner, description: `test KMS ${uri}` };
      },
    };
    const signer = await openSigner('testkms:key/1', { backends: [backend] });
    assert.deepEqual(seen, ['testkms:key/1']);
    assert.ok(await verifies(signer, 'sha256'));
    await assert.rejects(openSigner('testkms:key/1'), keyError(/unknown scheme "testkms:"/));
  });
});
