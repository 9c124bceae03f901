// server/audit-log.ts on a real file: lines written concurrently are grouped into batches (each one append and one
// fdatasync), every write resolves only once its batch is written, reopen() after a rename writes on to a new file
// at the path, a path that cannot be opened fails at open, and nothing is written after close(). Refusal reasons map
// to their event (RATE_LIMITED included, whoever adds the code).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../../lib/log.js';
import { auditRecord, eventFor, openAuditLog } from '../../../server/audit-log.js';

const record = (requestId: string) => auditRecord({ requestId, facts: { issuer: 'https://issuer.example', issuerVerified: true, serial: '4a' } });
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('server/audit-log', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'fulgor-audit-unit-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('groups concurrent lines into batches and resolves each write once its batch is written', async () => {
    const path = join(dir, 'audit.log');
    const batches: number[] = [];
    const audit = await openAuditLog(path, { logger: memoryLogger(), observer: { auditBatch: (n, _s, failed) => void (failed ? batches.push(-1) : batches.push(n)) } });
    const ids = Array.from({ length: 200 }, (_, i) => `r${i}`);
    await Promise.all(
      ids.map(async (id) => {
        await audit.write(record(id));
        // Resolved: the line is in the file now.
        assert.ok(readFileSync(path, 'utf8').includes(`"request_id":"${id}"`));
      }),
    );
    await audit.close();
    assert.deepEqual(lines(path).map((l) => l['request_id']), ids, 'every line once, in order');
    assert.equal(batches.reduce((a, b) => a + b, 0), 200);
    assert.ok(batches.length < 200, `fewer batches than lines (${batches.length})`);
    assert.ok(!batches.includes(-1));
  });

  it('writes every field, null when unknown, with the time in RFC 3339', async () => {
    const path = join(dir, 'audit.log');
    const audit = await openAuditLog(path, { logger: memoryLogger() });
    await audit.write(auditRecord({ requestId: 'x', facts: {}, reason: 'MALFORMED_TOKEN' }, new Date('2026-01-02T03:04:05.678Z')));
    await audit.close();
    assert.deepEqual(lines(path), [
      {
        time: '2026-01-02T03:04:05.678Z',
        event: 'refused',
        request_id: 'x',
        outcome: 'failure',
        reason: 'MALFORMED_TOKEN',
        remote_address: null,
        issuer: null,
        issuer_verified: false,
        san: null,
        claims: null,
        serial: null,
        fingerprint: null,
        public_key_fingerprint: null,
        public_key_algorithm: null,
        ct_index: null,
        sct_timestamp: null,
      },
    ]);
  });

  it('maps reasons to events: POLICY_DENIED, RATE_LIMITED, anything else refused', () => {
    assert.equal(eventFor('POLICY_DENIED'), 'policy_denied');
    assert.equal(eventFor('RATE_LIMITED'), 'rate_limited');
    assert.equal(eventFor('CT_LOG_UNAVAILABLE'), 'refused');
  });

  it('reopen() after a rename writes on to a new file at the path, losing nothing', async () => {
    const path = join(dir, 'audit.log');
    const logger = memoryLogger();
    const audit = await openAuditLog(path, { logger });
    await audit.write(record('before'));
    renameSync(path, `${path}.1`);
    const during = audit.write(record('renamed-not-reopened'));
    audit.reopen();
    await during;
    await audit.write(record('after'));
    await audit.close();
    const all = [...lines(`${path}.1`), ...lines(path)].map((l) => l['request_id']);
    assert.deepEqual(all.sort(), ['after', 'before', 'renamed-not-reopened']);
    assert.deepEqual(lines(path).map((l) => l['request_id']).at(-1), 'after');
    assert.ok(logger.lines.some((l) => l.includes('audit log reopened')));
  });

  it('fails at open for a path it cannot write, and refuses writes after close', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    try {
      if (process.getuid?.() !== 0) await assert.rejects(openAuditLog(join(ro, 'audit.log'), { logger: memoryLogger() }), /EACCES/);
    } finally {
      chmodSync(ro, 0o700);
    }
    const audit = await openAuditLog(join(dir, 'audit.log'), { logger: memoryLogger() });
    await audit.close();
    await assert.rejects(audit.write(record('late')), /closed/);
  });
});
