/**
 * Team-object writes for the crash and outage tests: sealing a batch of writes, PUTting them
 * with bounded concurrency, listing what the relay stored, and checking that the listing
 * holds each write once, with its exact bytes and contiguous sequence numbers, and that the
 * team's counters and events agree with it.
 */
import assert from 'node:assert/strict';
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
import type { Storage } from './harness.js';
import { DbPeek } from './routes.js';
import type { TestTeam } from './teams-fixture.js';

/** One team-object write: its id and its envelope (base64url). */
export interface Write {
  objectId: string;
  envelope: string;
}

/** An object as the listing serves it. */
export interface Item {
  seq: number;
  objectId: string;
  version: number;
  envelope: string;
}

/** What a PUT came to: acknowledged with its seq and status, or not (and why). */
export type Outcome =
  { acked: true; seq: number; status: number } | { acked: false; error: string };

/** Runs `f` over `items` with at most `n` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  n: number,
  f: (x: T) => Promise<R>,
): Promise<R[]> {
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

/** PUTs version 1 of a write; a network failure is an outcome, not an exception. */
export async function put(c: TestClient, teamId: string, w: Write): Promise<Outcome> {
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

/** Every object of a team, paging through the listing. */
export async function listAll(c: TestClient, teamId: string): Promise<Item[]> {
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
export function reconnect(c: TestClient, url: string): TestClient {
  const again = new TestClient(url, c.device);
  again.state = c.state;
  again.accessToken = c.accessToken;
  return again;
}

/** Listed objects: each once, with contiguous sequence numbers from 1, keyed by id. */
export function checkListing(items: Item[], writes: Map<string, Write>): Map<string, Item> {
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
export async function checkCounters(
  storage: Storage,
  teamId: string,
  items: Item[],
): Promise<void> {
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

/**
 * Seals `count` writes by `owner` for `team` under its current generation: bodies of
 * varied sizes, and every tenth one a kv entry, so the blind-index rule is exercised too
 * (keys `${kvPrefix}_0`, `${kvPrefix}_10`, ...: sets sealed together need distinct prefixes).
 */
export async function sealWrites(
  owner: TestClient,
  team: TestTeam,
  count: number,
  kvPrefix = 'KEY',
): Promise<Write[]> {
  const generation = team.state.current.generation;
  const key = team.keys[generation - 1] as TeamKey;
  const ik = await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'kv');
  const writes: Write[] = [];
  for (let i = 0; i < count; i++) {
    const objectId = b.randomBytes(16);
    const kv = i % 10 === 0;
    const { envelope } = await sealTeamEnvelope(b, {
      teamId: team.state.id,
      generation,
      chainSeq: team.state.seq,
      key,
      author: owner.state.id,
      device: owner.device,
      collection: kv ? COLLECTION.kv : COLLECTION.message,
      body: b.randomBytes((i * 7919) % 12_000),
      objectId,
      objectVersion: 1,
      ...(kv ? { blindIndex: await blindIndex(b, ik, 'env', `${kvPrefix}_${i}`) } : {}),
    });
    writes.push({ objectId: toBase64url(objectId), envelope: toBase64url(envelope) });
  }
  return writes;
}
