import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../../ca/dev-keys.js';
import { KEY_FILES, loadKeys, loadLogKeys } from '../../../config/keys-dir.js';

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
});
