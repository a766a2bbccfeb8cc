/**
 * The shared window's team chunk: the frames every connection following one team writes,
 * encoded once. It must hold exactly the frames after the asked position, only when they
 * all name that team and no principal, and never outlive an append or reset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventRing, eventFrame, type EventRow } from '../src/push/ring.js';

function row(id: number, teamId: string | null, principalId: string | null = null): EventRow {
  const data = JSON.stringify({ team: teamId, seq: id });
  return { id, teamId, principalId, type: 'object', data, frame: eventFrame(id, 'object', data) };
}

describe('push window: shared team chunks', () => {
  it('joins the frames after a position when one team owns them all', () => {
    const ring = new EventRing(100, 1 << 20);
    const rows = [row(1, 'T'), row(2, 'T'), row(3, 'T')];
    ring.append(rows);
    const c = ring.teamChunk(ring.indexAfter(1));
    assert.ok(c);
    assert.equal(c.team, 'T');
    assert.equal(c.lastId, 3);
    assert.equal(c.bytes.toString(), `${rows[1]?.frame}${rows[2]?.frame}`);
    assert.equal(ring.teamChunk(ring.indexAfter(1)), c, 'asked again: the same buffer');
  });

  it('has none when the run mixes teams or names a principal', () => {
    const ring = new EventRing(100, 1 << 20);
    ring.append([row(1, 'T'), row(2, 'U')]);
    assert.equal(ring.teamChunk(ring.indexAfter(0)), undefined);
    ring.append([row(3, 'U', 'P')]);
    assert.equal(ring.teamChunk(ring.indexAfter(1)), undefined);
    assert.equal(ring.teamChunk(ring.indexAfter(3)), undefined, 'nothing after the top');
  });

  it('is rebuilt after an append and a reset', () => {
    const ring = new EventRing(100, 1 << 20);
    ring.append([row(1, 'T'), row(2, 'T')]);
    const before = ring.teamChunk(ring.indexAfter(1));
    ring.append([row(3, 'T')]);
    const after = ring.teamChunk(ring.indexAfter(1));
    assert.equal(before?.lastId, 2);
    assert.equal(after?.lastId, 3);
    ring.reset(10);
    ring.append([row(11, 'U')]);
    assert.equal(ring.teamChunk(ring.indexAfter(10))?.team, 'U');
  });
});
