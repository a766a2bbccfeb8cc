/**
 * Crash safety of object writes: SIGKILL the real server process in the middle of a burst of
 * concurrent team-object PUTs, restart it on the same storage, and check that every
 * acknowledged write is listed exactly once with its exact bytes and sequence number, that
 * an unacknowledged write is either whole or absent, that the team's counters and events
 * agree with the objects, and that retrying every write is idempotent.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  blindIndex,
  COLLECTION,
  indexKey,
  sealTeamEnvelope,
  toBase64url,
  type TeamKey,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { DbPeek } from './routes.js';
import { TestTeam } from './teams-fixture.js';

const WRITES = 300;
const CONCURRENCY = 48;
/** The server is killed once this many writes were acknowledged (the rest are in flight or queued). */
const KILL_AFTER = 60;
const ARGS = ['--rate-limit', '100000'];

interface Write {
  objectId: string;
  envelope: string;
}

interface Item {
  seq: number;
  objectId: string;
  version: number;
  envelope: string;
}

type Outcome = { acked: true; seq: number; status: number } | { acked: false; error: string };

/** Runs `f` over `items` with at most `n` in flight. */
async function pool<T, R>(items: readonly T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i] as T);
      }
    }),
  );
  return out;
}

async function put(c: TestClient, teamId: string, w: Write): Promise<Outcome> {
  try {
    const r = await c.request<{ seq: number }>(
      'PUT',
      `/v1/teams/${teamId}/objects/${w.objectId}/versions/1`,
      { envelope: w.envelope },
    );
    if (r.status === 200 || r.status === 201)
      return { acked: true, seq: r.body.seq, status: r.status };
    return { acked: false, error: `${r.status} ${JSON.stringify(r.body)}` };
  } catch (e) {
    return { acked: false, error: `network: ${(e as Error).message}` };
  }
}

async function listAll(c: TestClient, teamId: string): Promise<Item[]> {
  const all: Item[] = [];
  let since = 0;
  for (;;) {
    const r = await c.request<{ objects: Item[]; next: number }>(
      'GET',
      `/v1/teams/${teamId}/objects?since=${since}&limit=1000`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (r.body.objects.length === 0) return all;
    all.push(...r.body.objects);
    since = r.body.next;
  }
}

/** The same device and (persisted) access token, against the restarted server. */
function reconnect(c: TestClient, url: string): TestClient {
  const again = new TestClient(url, c.device);
  again.state = c.state;
  again.accessToken = c.accessToken;
  return again;
}

/** Listed objects: each once, with contiguous sequence numbers from 1, keyed by id. */
function checkListing(items: Item[], writes: Map<string, Write>): Map<string, Item> {
  const byId = new Map<string, Item>();
  for (const it of items) {
    assert.ok(!byId.has(it.objectId), `object ${it.objectId} is listed once`);
    byId.set(it.objectId, it);
    const w = writes.get(it.objectId);
    assert.ok(w, 'only objects that were written are listed');
    assert.equal(it.version, 1);
    assert.equal(it.envelope, w.envelope, 'a listed object has exactly the bytes written');
  }
  assert.deepEqual(
    items.map((i) => i.seq),
    items.map((_, i) => i + 1),
    'sequence numbers run 1, 2, 3, ... without a gap',
  );
  return byId;
}

/** Counters and events stored with the objects agree with them. */
async function checkCounters(storage: Storage, teamId: string, items: Item[]): Promise<void> {
  const db = await DbPeek.open(storage);
  try {
    const [team] = await db.query<{ object_seq: unknown; bytes_used: unknown }>(
      'SELECT object_seq, bytes_used FROM teams WHERE id = ?',
      [teamId],
    );
    const [sizes] = await db.query<{ n: unknown; total: unknown }>(
      'SELECT count(*) AS n, sum(size) AS total FROM objects WHERE team_id = ?',
      [teamId],
    );
    const [events] = await db.query<{ n: unknown }>(
      "SELECT count(*) AS n FROM events WHERE team_id = ? AND type = 'object'",
      [teamId],
    );
    assert.equal(Number(team?.object_seq), items.length, 'the team counter is the last seq');
    assert.equal(Number(sizes?.n), items.length);
    assert.equal(Number(team?.bytes_used), Number(sizes?.total ?? 0), 'quota usage = stored bytes');
    assert.equal(Number(events?.n), items.length, 'one object event per stored version');
  } finally {
    await db.close();
  }
}

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
      const generation = team.state.current.generation;
      const key = team.keys[generation - 1] as TeamKey;
      const ik = await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'kv');
      const writes: Write[] = [];
      for (let i = 0; i < WRITES; i++) {
        const objectId = b.randomBytes(16);
        // Every tenth write is a kv entry, so the blind-index rule is in the crashed batches too.
        const kv = i % 10 === 0;
        const { envelope } = await sealTeamEnvelope(b, {
          teamId: team.state.id,
          generation,
          chainSeq: team.state.seq,
          key,
          author: alice.state.id,
          device: alice.device,
          collection: kv ? COLLECTION.kv : COLLECTION.message,
          body: b.randomBytes((i * 7919) % 12_000),
          objectId,
          objectVersion: 1,
          ...(kv ? { blindIndex: await blindIndex(b, ik, 'env', `KEY_${i}`) } : {}),
        });
        writes.push({ objectId: toBase64url(objectId), envelope: toBase64url(envelope) });
      }
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
