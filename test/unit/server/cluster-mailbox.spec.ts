import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { mailbox, unpack } from '../../../server/cluster-mailbox.js';
import type { BatchMessage, ToWorker } from '../../../server/cluster-messages.js';

describe('server/cluster-mailbox: IPC messages coalesced per turn of the event loop', () => {
  it('sends the messages of one turn as one batch, in order, and a lone message as itself', async () => {
    const written: Array<ToWorker | BatchMessage> = [];
    const post = mailbox<ToWorker>((m, done) => {
      written.push(m);
      done(null);
    });
    post({ fulgor: 'audited', id: 1 });
    post({ fulgor: 'audited', id: 2 });
    post({ fulgor: 'reload' });
    assert.equal(written.length, 0, 'nothing is written before the turn ends');
    await nextTurn();
    post({ fulgor: 'audited', id: 3 });
    await nextTurn();
    assert.deepEqual(written, [
      { fulgor: 'batch', messages: [{ fulgor: 'audited', id: 1 }, { fulgor: 'audited', id: 2 }, { fulgor: 'reload' }] },
      { fulgor: 'audited', id: 3 },
    ]);
    assert.deepEqual(unpack(written[0]), [{ fulgor: 'audited', id: 1 }, { fulgor: 'audited', id: 2 }, { fulgor: 'reload' }]);
    assert.deepEqual(unpack(written[1]), [{ fulgor: 'audited', id: 3 }]);
  });

  it("tells every message's sender what became of the write that carried it", async () => {
    const post = mailbox<ToWorker>((_m, done) => done(new Error('the IPC channel is closed')));
    const heard: Array<string | null> = [];
    post({ fulgor: 'audited', id: 1 }, (e) => heard.push(e?.message ?? null));
    post({ fulgor: 'audited', id: 2 }, (e) => heard.push(e?.message ?? null));
    post({ fulgor: 'audited', id: 3 }); // no callback: nothing to tell
    await nextTurn();
    assert.deepEqual(heard, ['the IPC channel is closed', 'the IPC channel is closed']);
  });
});
