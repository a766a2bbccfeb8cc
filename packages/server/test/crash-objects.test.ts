/**
 * Crash safety of object writes: SIGKILL the real server process in the middle of a burst of
 * concurrent team-object PUTs, restart it on the same storage, and check that every
 * acknowledged write is listed exactly once with its exact bytes and sequence number, that
 * an unacknowledged write is either whole or absent, that the team's counters and events
 * agree with the objects, and that retrying every write is idempotent.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import {
  checkCounters,
  checkListing,
  listAll,
  pool,
  put,
  reconnect,
  sealWrites,
  type Write,
} from './object-writes.js';
import { TestTeam } from './teams-fixture.js';

const WRITES = 300;
const CONCURRENCY = 48;
/** The server is killed once this many writes were acknowledged (the rest are in flight or queued). */
const KILL_AFTER = 60;
const ARGS = ['--rate-limit', '100000'];

for (const kind of await dialects()) {
  describe(`crash safety of object writes (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess | undefined;
    after(async () => {
      await server?.stop();
      await storage.destroy();
    });

    it('keeps every acknowledged write, nothing partial, and retries idempotently after SIGKILL', async () => {
      server = await spawnServer(storage, ARGS);
      const alice = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      const writes = await sealWrites(alice, team, WRITES);
      const byId = new Map(writes.map((w) => [w.objectId, w]));

      // The burst, and SIGKILL once KILL_AFTER writes were acknowledged.
      const running = server;
      let acks = 0;
      let killed: Promise<void> | undefined;
      const outcomes = await pool(writes, CONCURRENCY, async (w) => {
        const o = await put(alice, team.id, w);
        if (o.acked && ++acks === KILL_AFTER) killed = running.kill();
        return o;
      });
      await killed;
      assert.ok(killed, 'the server was killed during the burst');
      const acked = new Map<string, number>();
      outcomes.forEach((o, i) => {
        const w = writes[i] as Write;
        if (o.acked) acked.set(w.objectId, o.seq);
        else assert.match(o.error, /^network: /, 'a write was refused only by the crash');
      });
      assert.ok(acked.size >= KILL_AFTER);
      assert.ok(acked.size < WRITES, 'some writes were cut off by the crash');

      server = await spawnServer(storage, ARGS);
      const again = reconnect(alice, server.url);
      const listed = checkListing(await listAll(again, team.id), byId);
      for (const [id, seq] of acked) {
        const item = listed.get(id);
        assert.ok(item, `acknowledged write ${id} survived the crash`);
        assert.equal(item.seq, seq, 'with the sequence number it was acknowledged with');
      }
      await checkCounters(storage, team.id, [...listed.values()]);

      // Retrying every write: stored ones answer their stored result, the others are stored.
      const retry = await pool(writes, CONCURRENCY, (w) => put(again, team.id, w));
      retry.forEach((o, i) => {
        const w = writes[i] as Write;
        assert.ok(o.acked, `retry of ${w.objectId}: ${o.acked ? '' : o.error}`);
        const before = listed.get(w.objectId);
        if (before) {
          assert.equal(o.status, 200, 'a stored write is answered as a replay');
          assert.equal(o.seq, before.seq);
        } else assert.equal(o.status, 201);
      });
      const full = await listAll(again, team.id);
      const all = checkListing(full, byId);
      assert.equal(all.size, WRITES, 'every write is stored exactly once');
      await checkCounters(storage, team.id, full);

      // And once more: pure replays, nothing moves.
      const third = await pool(writes, CONCURRENCY, (w) => put(again, team.id, w));
      third.forEach((o, i) => {
        const w = writes[i] as Write;
        assert.ok(o.acked && o.status === 200, `replay of ${w.objectId}`);
        assert.equal(o.seq, all.get(w.objectId)?.seq);
      });
      assert.deepEqual(await listAll(again, team.id), full);
    });
  });
}
