import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashLeaf, MerkleFrontier } from '../../../ct/merkle.js';
import { parseState, readState, serializeState, writeState, type MonitorState } from '../../../monitor/state.js';

describe('monitor/state', () => {
  const frontier = new MerkleFrontier();
  for (let i = 0; i < 11; i++) frontier.push(hashLeaf(Buffer.from(`leaf ${i}`)));
  const state: MonitorState = {
    logId: Buffer.alloc(32, 7).toString('base64'),
    sth: { treeSize: 12, timestamp: 1_790_000_000_000, rootHash: Buffer.alloc(32, 1), signature: Buffer.from([4, 3, 0, 2, 0xab, 0xcd]) },
    frontier,
    undelivered: [],
  };

  it('round-trips through its JSON: the STH, the next index and a frontier that still computes the same root', () => {
    const back = parseState(serializeState(state, 'http://log'));
    assert.equal(back.logId, state.logId);
    assert.deepEqual(back.sth, state.sth);
    assert.equal(back.frontier.size, 11);
    assert.ok(back.frontier.root().equals(frontier.root()));
    assert.equal((JSON.parse(serializeState(state, 'http://log')) as { nextIndex: number }).nextIndex, 11);
  });

  it('refuses a file that is not a usable state, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-monitor-state-'));
    try {
      assert.equal(await readState(join(dir, 'absent.json')), undefined);
      const good = JSON.parse(serializeState(state, 'http://log')) as Record<string, unknown>;
      const bad: [string, unknown][] = [
        ['not json', 'nope'],
        ['index past the tree', { ...good, nextIndex: 13 }],
        ['frontier of the wrong shape', { ...good, frontier: [] }],
        ['other version', { ...good, version: 2 }],
      ];
      for (const [what, doc] of bad) {
        const p = join(dir, 'bad.json');
        writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
        await assert.rejects(readState(p), new RegExp(`${p}: not a usable monitor state`), what);
      }
      const p = join(dir, 'state.json');
      await writeState(p, state, 'http://log');
      assert.deepEqual(readdirSync(dir).sort(), ['bad.json', 'state.json'], 'no temporary file left behind');
      assert.equal((await readState(p))!.frontier.size, 11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
