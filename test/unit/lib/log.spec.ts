// lib/log.ts: a logger's level says which lines it writes (the companion log's thread drops the others before they
// cross, server/log-thread-worker.ts); consoleLogger writes one JSON line per kept line to its destination.
import assert from 'node:assert/strict';
import { consoleLogger, logsAt } from '../../../lib/log.js';

describe('lib/log', () => {
  it('logsAt: a level at or above the logger\'s is written; with no level every line is', () => {
    assert.equal(logsAt({ level: 'info' }, 'debug'), false);
    assert.equal(logsAt({ level: 'info' }, 'info'), true);
    assert.equal(logsAt({ level: 'info' }, 'error'), true);
    assert.equal(logsAt({ level: 'warn' }, 'info'), false);
    assert.equal(logsAt({}, 'debug'), true);
  });

  it('consoleLogger writes each kept line as one JSON line to its destination, and says its level', () => {
    const out: string[] = [];
    const logger = consoleLogger('info', (line) => out.push(line));
    assert.equal(logger.level, 'info');
    logger.log('debug', 'dropped', { a: 1 });
    logger.log('warn', 'kept', { a: 2 });
    assert.equal(out.length, 1);
    assert.ok(out[0]!.endsWith('\n'));
    const line = JSON.parse(out[0]!) as Record<string, unknown>;
    assert.equal(line['level'], 'warn');
    assert.equal(line['msg'], 'kept');
    assert.equal(line['a'], 2);
    assert.ok(!Number.isNaN(Date.parse(line['time'] as string)));
  });
});
