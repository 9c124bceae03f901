// The timestamp authority's key through the signer backends, as real processes: an encrypted tsa.key.pem opened with
// --key-passphrase-file (and refused without it), a key that is not the TSA certificate's refused naming tsa.pem, and
// a TSA key inside SoftHSM2 (tsa.key.uri for `fulgor serve`, --tsa-key pkcs11: for `fulgor tsa serve`) whose
// timestamps verify against tsa.pem.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES, KEY_URI_FILES, readCertificates } from '../../config/keys-dir.js';
import { generateSoftwareKey, privateKeyPem } from '../../signer/index.js';
import { createSoftHsm, SOFTHSM_MODULE, softhsmMissing } from '../../signer/softhsm.js';
import { BIN, exited, startServe, stopProcess, until } from '../helpers/serve-process.js';
import { readTimestampResponse, timestampQuery } from '../helpers/timestamp.js';

const ARTIFACT = Buffer.from('artifact signature');

function spawnTsa(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, 'tsa', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function startTsa(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const p = spawnTsa(args);
  const early = new Promise<never>((_, reject) => p.child.once('exit', (code) => reject(new Error(`tsa serve exited with ${code}: ${p.output()}`))));
  const url = await Promise.race([until('tsa serve to listen', () => /timestamp authority listening on (\S+)/.exec(p.output())?.[1]), early]);
  return { ...p, url };
}

/** Asks `url` for a timestamp over ARTIFACT and checks, with pkijs, that it is signed by the certificate `leaf`. */
async function assertTimestampVerifies(url: string, leaf: Buffer): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: timestampQuery({ data: ARTIFACT, certReq: true }) });
  assert.equal(res.status, 201);
  const p = readTimestampResponse(Buffer.from(await res.arrayBuffer()));
  assert.equal(p.status, 0);
  const v = await p.signedData!.verify({ signer: 0, data: new Uint8Array(ARTIFACT).buffer, extendedMode: true, checkChain: false });
  assert.equal(v.signatureVerified, true);
  assert.deepEqual(Buffer.from(v.signerCertificate!.toSchema().toBER()), leaf);
}

describe('cli: the timestamp authority key through the signer backends', function () {
  this.timeout(60_000);
  let dir: string;
  let keysDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-tsa-keys-'));
    keysDir = join(dir, 'keys');
    await createMissingDevKeys(keysDir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an encrypted tsa.key.pem: served with --key-passphrase-file (timestamps verify), refused without the passphrase (exit 2, naming the key)', async () => {
    const d = join(dir, 'encrypted');
    await createMissingDevKeys(d);
    const tsaKey = join(d, KEY_FILES.tsaKey);
    writeFileSync(tsaKey, privateKeyPem(createPrivateKey(readFileSync(tsaKey, 'utf8')), 'tsa passphrase'));
    const passFile = join(dir, 'pass');
    writeFileSync(passFile, 'tsa passphrase\n', { mode: 0o600 });
    const tsaLeaf = readCertificates(join(d, KEY_FILES.tsaCert))[0]!;
    const { child, url } = await startTsa(['--keys-dir', d, '--key-passphrase-file', passFile]);
    try {
      await assertTimestampVerifies(url, tsaLeaf);
    } finally {
      await stopProcess(child);
    }
    const refused = spawnTsa(['--keys-dir', d]);
    const { code } = await exited(refused.child);
    assert.equal(code, 2, refused.output());
    assert.match(refused.output(), new RegExp(`timestamp authority key: key file ${tsaKey.replace(/[.]/g, '\\.')} is encrypted and no passphrase was given`));
  });

  it('a key that is not the TSA certificate\'s is refused at start (exit 2, naming tsa.pem)', async () => {
    const other = join(dir, 'other.key.pem');
    writeFileSync(other, privateKeyPem(generateSoftwareKey('ecdsa-p256')), { mode: 0o600 });
    const p = spawnTsa(['--keys-dir', keysDir, '--tsa-key', `file:${other}`]);
    const { code } = await exited(p.child);
    assert.equal(code, 2, p.output());
    assert.match(p.output(), /tsa\.pem \(key: .*other\.key\.pem\): the TSA key does not belong to the TSA certificate/);
  });

  describe('in SoftHSM2', function () {
    before(function () {
      const why = softhsmMissing();
      if (why) this.skip();
    });

    it('tsa.key.uri (fulgor serve) and --tsa-key pkcs11: (fulgor tsa serve): timestamps signed in the token verify against tsa.pem', async () => {
      const d = join(dir, 'hsm');
      await createMissingDevKeys(d);
      const tsaLeaf = readCertificates(join(d, KEY_FILES.tsaCert))[0]!;
      const hsm = await createSoftHsm();
      try {
        const pin = '31415926';
        const pinFile = join(hsm.dir, 'pin');
        writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
        await hsm.initToken('fulgor-tsa', pin);
        await hsm.importKey(join(d, KEY_FILES.tsaKey), 'fulgor-tsa', 'tsa', '03', pin);
        rmSync(join(d, KEY_FILES.tsaKey));
        const uri = `pkcs11:token=fulgor-tsa;object=tsa?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`;
        writeFileSync(join(d, KEY_URI_FILES.tsaKey), `${uri}\n`);
        const config = join(dir, 'identity.json');
        writeFileSync(config, JSON.stringify({ OIDCIssuers: {} }));
        const served = await startServe(['--config-path', config, '--keys-dir', d, '--allow-dev-keys']);
        try {
          assert.match(served.output(), /"tsaKey":"PKCS#11 token \\"fulgor-tsa\\" key labelled \\"tsa\\""/);
          await assertTimestampVerifies(`${served.caUrl}/api/v1/timestamp`, tsaLeaf);
        } finally {
          await stopProcess(served.child);
        }
        rmSync(join(d, KEY_URI_FILES.tsaKey));
        const alone = await startTsa(['--keys-dir', d, '--tsa-key', uri]);
        try {
          await assertTimestampVerifies(alone.url, tsaLeaf);
        } finally {
          alone.child.kill('SIGTERM');
          assert.equal((await exited(alone.child)).code, 0, alone.output());
        }
      } finally {
        await hsm.close();
      }
    });
  });
});
