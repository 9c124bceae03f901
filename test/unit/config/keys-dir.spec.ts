import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../../ca/dev-keys.js';
import { KEY_FILES, KEY_URI_FILES, loadKeys, loadLogKeys, RETIRED_FILES, retiredEntryName } from '../../../config/keys-dir.js';
import { certToPem } from '../../../lib/pem.js';
import { writeProductionKeysDir } from '../../helpers/production-keys.js';

describe('config/keys-dir: reads a keys directory and never writes one', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-keys-dir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('missing keys: the error names the file and "fulgor keys init", and nothing is created', () => {
    assert.throws(() => loadKeys(dir), (e: Error) => e.message.includes(join(dir, KEY_FILES.caCert)) && e.message.includes('"fulgor keys init"'));
    assert.throws(() => loadLogKeys(dir), (e: Error) => e.message.includes(join(dir, KEY_FILES.ctKey)) && e.message.includes('"fulgor keys init"'));
    assert.deepEqual(readdirSync(dir), []);
  });

  it('without dev-oidc.key.pem there is no development OIDC key (none is made up)', async () => {
    await createMissingDevKeys(dir);
    rmSync(join(dir, KEY_FILES.devOidcKey));
    assert.equal(loadKeys(dir).devOidcKey, undefined);
    assert.ok(!readdirSync(dir).includes(KEY_FILES.devOidcKey));
    const log = loadLogKeys(dir);
    assert.ok(log.root?.equals(loadKeys(dir).caChain[1]!));
  });

  it('reads a chain of any depth: intermediate-ca.pem (issuing CA, policy CA) then root-ca.pem', async () => {
    const { chain } = await writeProductionKeysDir(dir);
    const keys = loadKeys(dir);
    assert.deepEqual(keys.caChain, [chain.issuing, chain.policy, chain.root]);
    assert.deepEqual(keys.caKey, { uri: `file:${join(dir, KEY_FILES.caKey)}`, from: join(dir, KEY_FILES.caKey) });
    assert.deepEqual(keys.ctKey, { uri: `file:${join(dir, KEY_FILES.ctKey)}`, from: join(dir, KEY_FILES.ctKey) });
    assert.equal(keys.development, undefined, 'a production directory is not development');
    assert.equal(keys.rootKeyFile, undefined);
    assert.ok(loadLogKeys(dir).root?.equals(chain.root));
  });

  it('reads retired CAs from retired/<stamp>-<fingerprint>/ (their own root when given), oldest first; malformed entries are named', async () => {
    await createMissingDevKeys(dir);
    assert.deepEqual(loadKeys(dir).retired, [], 'no retired/ directory: no retired CAs');
    const other = mkdtempSync(join(tmpdir(), 'fulgor-keys-dir-other-'));
    try {
      const { chain } = await writeProductionKeysDir(other);
      const devChain = loadKeys(dir).caChain;
      const older = new Date('2026-01-02T03:04:05Z');
      const newer = new Date('2026-02-02T03:04:05Z');
      const put = (at: Date, issuing: Buffer[], root?: Buffer) => {
        const entry = join(dir, RETIRED_FILES.dir, retiredEntryName(at, issuing[0]!));
        mkdirSync(entry, { recursive: true });
        writeFileSync(join(entry, KEY_FILES.caCert), issuing.map((c) => certToPem(c)).join(''));
        if (root) writeFileSync(join(entry, KEY_FILES.rootCert), certToPem(root));
        writeFileSync(join(entry, RETIRED_FILES.info), JSON.stringify({ retiredAt: at.toISOString() }));
        return entry;
      };
      put(newer, [devChain[0]!]);
      const entry = put(older, [chain.issuing, chain.policy], chain.root);
      assert.match(entry, /retired\/20260102T030405Z-[0-9a-f]{16}$/);
      const { retired } = loadKeys(dir);
      assert.deepEqual(retired.map((r) => [r.chain, r.retiredAt.toISOString()]), [
        [[chain.issuing, chain.policy, chain.root], older.toISOString()],
        [devChain, newer.toISOString()],
      ]);
      writeFileSync(join(entry, RETIRED_FILES.info), '{"retiredAt": "yesterday"}');
      assert.throws(() => loadKeys(dir), (e: Error) => e.message.includes(`retired CA ${entry} is malformed`) && e.message.includes('retiredAt'));
      rmSync(join(entry, RETIRED_FILES.info));
      assert.throws(() => loadKeys(dir), (e: Error) => e.message.includes(entry) && e.message.includes(`missing ${RETIRED_FILES.info}`));
      writeFileSync(join(entry, RETIRED_FILES.info), JSON.stringify({ retiredAt: older.toISOString() }));
      mkdirSync(join(dir, RETIRED_FILES.dir, 'old-ca'));
      assert.throws(() => loadKeys(dir), /retired CA .*old-ca is malformed: its name is not/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('reads key references from .key.uri files (one line), and --ca-key / --ct-log-key win over the files', async () => {
    await writeProductionKeysDir(dir);
    rmSync(join(dir, KEY_FILES.caKey));
    rmSync(join(dir, KEY_FILES.ctKey));
    const pkcs11 = 'pkcs11:token=fulgor;object=issuing-ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fulgor/pin';
    writeFileSync(join(dir, KEY_URI_FILES.caKey), `${pkcs11}\n`);
    writeFileSync(join(dir, KEY_URI_FILES.ctKey), 'file:keys/ct.pem\n\n');
    const keys = loadKeys(dir);
    assert.deepEqual(keys.caKey, { uri: pkcs11, from: join(dir, KEY_URI_FILES.caKey), baseDir: dir });
    assert.deepEqual(keys.ctKey, { uri: 'file:keys/ct.pem', from: join(dir, KEY_URI_FILES.ctKey), baseDir: dir });
    const flags = loadKeys(dir, { caKey: 'file:/elsewhere/ca.pem', ctKey: 'pkcs11:object=ct' });
    assert.deepEqual([flags.caKey, flags.ctKey], [{ uri: 'file:/elsewhere/ca.pem', from: '--ca-key' }, { uri: 'pkcs11:object=ct', from: '--ct-log-key' }]);
    assert.deepEqual(loadLogKeys(dir, { ctKey: 'pkcs11:object=ct' }).ctKey, { uri: 'pkcs11:object=ct', from: '--ct-log-key' });
    writeFileSync(join(dir, KEY_URI_FILES.caKey), `${pkcs11}\nfile:/other\n`);
    assert.throws(() => loadKeys(dir), new RegExp(`${KEY_URI_FILES.caKey} must hold one line, a key URI .*it holds 2`));
  });

  it('refuses a key given both as a file and as a reference, and says what is missing', async () => {
    await writeProductionKeysDir(dir);
    writeFileSync(join(dir, KEY_URI_FILES.caKey), 'pkcs11:object=x\n');
    assert.throws(() => loadKeys(dir), new RegExp(`both .*${KEY_FILES.caKey} and .*${KEY_URI_FILES.caKey} exist; keep one`));
    rmSync(join(dir, KEY_URI_FILES.caKey));
    rmSync(join(dir, KEY_FILES.caKey));
    assert.throws(() => loadKeys(dir), /missing .*intermediate-ca\.key\.pem .*\.key\.uri.*"fulgor ca init"/);
  });

  it('refuses a root-ca.pem with more than the root, and an intermediate-ca.pem that includes the root', async () => {
    const { chain } = await writeProductionKeysDir(dir);
    writeFileSync(join(dir, KEY_FILES.rootCert), certToPem(chain.root) + certToPem(chain.policy));
    assert.throws(() => loadKeys(dir), /root-ca\.pem holds 2 certificates; it must hold only the root/);
    writeFileSync(join(dir, KEY_FILES.rootCert), certToPem(chain.root));
    writeFileSync(join(dir, KEY_FILES.caCert), certToPem(chain.issuing) + certToPem(chain.policy) + certToPem(chain.root));
    assert.throws(() => loadKeys(dir), /intermediate-ca\.pem holds the root certificate; .* up to but excluding the root/);
  });

  it('says a directory is development by its DEVELOPMENT marker, or by the development root when the marker is gone', async () => {
    await createMissingDevKeys(dir);
    assert.match(readFileSync(join(dir, KEY_FILES.devMarker), 'utf8'), /development keys, made by "fulgor keys init"/);
    assert.match(loadKeys(dir).development ?? '', /DEVELOPMENT marks them as development keys/);
    assert.equal(loadKeys(dir).rootKeyFile, join(dir, KEY_FILES.rootKey));
    rmSync(join(dir, KEY_FILES.devMarker));
    assert.match(loadKeys(dir).development ?? '', /root certificate .*root-ca\.pem is the development CA's \(O=Fulgor Development, CN=Fulgor Development Root CA\)/);
  });
});
