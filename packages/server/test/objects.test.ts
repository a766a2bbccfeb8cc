import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  blindIndex,
  COLLECTION,
  FLAG_TOMBSTONE,
  fromBase64url,
  indexKey,
  openTeamEnvelope,
  ROLE,
  sealTeamEnvelope,
  toBase64url,
  utf8,
  fromUtf8,
  type Collection,
  type TeamKey,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import { TestClient, type Reply } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { TestTeam } from './teams-fixture.js';

interface Item {
  seq: number;
  objectId: string;
  version: number;
  collection: number;
  blindIndex: string | null;
  tombstone: boolean;
  envelope: string;
}

interface Put {
  seq: number;
  objectId: string;
  version: number;
  currentVersion?: number;
}

/** Seals a team object as `by` at the team's current chain head and generation. */
async function seal(
  team: TestTeam,
  by: TestClient,
  opts: {
    body?: string;
    objectId?: Uint8Array;
    version?: number;
    collection?: Collection;
    blindIndex?: Uint8Array;
    flags?: number;
    teamId?: Uint8Array;
  } = {},
): Promise<{ envelope: Uint8Array; objectId: string; version: number }> {
  const generation = team.state.current.generation;
  const objectId = opts.objectId ?? b.randomBytes(16);
  const version = opts.version ?? 1;
  const { envelope } = await sealTeamEnvelope(b, {
    teamId: opts.teamId ?? team.state.id,
    generation,
    chainSeq: team.state.seq,
    key: team.keys[generation - 1] as TeamKey,
    author: by.state.id,
    device: by.device,
    collection: opts.collection ?? COLLECTION.message,
    body: utf8(opts.body ?? ''),
    objectId,
    objectVersion: version,
    ...(opts.flags !== undefined ? { flags: opts.flags } : {}),
    ...(opts.blindIndex ? { blindIndex: opts.blindIndex } : {}),
  });
  return { envelope, objectId: toBase64url(objectId), version };
}

function put(
  by: TestClient,
  teamId: string,
  e: { envelope: Uint8Array; objectId: string; version: number },
): Promise<Reply<Put>> {
  return by.request<Put>('PUT', `/v1/teams/${teamId}/objects/${e.objectId}/versions/${e.version}`, {
    envelope: toBase64url(e.envelope),
  });
}

async function open(team: TestTeam, item: Item): Promise<string> {
  const r = await openTeamEnvelope(b, fromBase64url(item.envelope), {
    teamId: team.state.id,
    expect: {
      objectId: fromBase64url(item.objectId),
      objectVersion: item.version,
      collection: item.collection as Collection,
      blindIndex: item.blindIndex === null ? null : fromBase64url(item.blindIndex),
    },
    authorize: (h) => team.state.authorizeObject(h, team.resolve),
    keyFor: (g) => team.keys[g - 1] as TeamKey,
  });
  return fromUtf8(r.body);
}

const ARGS = ['--rate-limit', '100000'];

for (const kind of await dialects()) {
  describe(`team objects (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let alice: TestClient;
    let bob: TestClient;
    let carol: TestClient;
    let dave: TestClient;
    let team: TestTeam;

    before(async () => {
      server = await spawnServer(storage, ARGS);
      [alice, bob, carol, dave] = (await Promise.all(
        [0, 1, 2, 3].map(() => TestClient.create(server.url)),
      )) as [TestClient, TestClient, TestClient, TestClient];
      team = await TestTeam.create(alice);
      assert.equal((await team.add(alice, bob, ROLE.writer)).status, 200);
      assert.equal((await team.add(alice, carol, ROLE.reader)).status, 200);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('stores, lists and serves core-sealed objects that members open', async () => {
      const m = await seal(team, alice, { body: 'hello team' });
      const r = await put(alice, team.id, m);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.objectId, m.objectId);
      assert.equal(r.body.version, 1);
      const list = await bob.request<{ objects: Item[]; next: number }>(
        'GET',
        `/v1/teams/${team.id}/objects?since=0`,
      );
      assert.equal(list.status, 200);
      const item = list.body.objects.find((o) => o.objectId === m.objectId) as Item;
      assert.equal(item.seq, r.body.seq);
      assert.equal(item.tombstone, false);
      assert.equal(item.blindIndex, null);
      assert.equal(item.collection, COLLECTION.message);
      assert.equal(await open(team, item), 'hello team');
      assert.equal(list.body.next, list.body.objects.at(-1)?.seq);
      const later = await bob.request<{ objects: Item[]; next: number }>(
        'GET',
        `/v1/teams/${team.id}/objects?since=${list.body.next}`,
      );
      assert.deepEqual(later.body, { objects: [], next: list.body.next });

      const m2 = await seal(team, bob, {
        body: 'edited',
        objectId: fromBase64url(m.objectId),
        version: 2,
      });
      assert.equal((await put(bob, team.id, m2)).status, 201);
      const latest = await carol.request<Item>('GET', `/v1/teams/${team.id}/objects/${m.objectId}`);
      assert.equal(latest.body.version, 2);
      assert.equal(await open(team, latest.body), 'edited');
      const v1 = await carol.request<Item>(
        'GET',
        `/v1/teams/${team.id}/objects/${m.objectId}?version=1`,
      );
      assert.equal(await open(team, v1.body), 'hello team');
      const hist = await carol.request<{ versions: { version: number; seq: number }[] }>(
        'GET',
        `/v1/teams/${team.id}/objects/${m.objectId}/versions`,
      );
      assert.deepEqual(
        hist.body.versions.map((v) => v.version),
        [1, 2],
      );
      const missing = await carol.request(
        'GET',
        `/v1/teams/${team.id}/objects/${toBase64url(b.randomBytes(16))}`,
      );
      assert.equal(missing.body.error?.code, 'HUSH_ERR_NOT_FOUND');
    });

    it('answers an identical retry with the same result and refuses other bytes', async () => {
      const m = await seal(team, alice, { body: 'once' });
      const first = await put(alice, team.id, m);
      assert.equal(first.status, 201);
      const again = await put(alice, team.id, m);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, first.body);
      const other = await seal(team, alice, {
        body: 'twice',
        objectId: fromBase64url(m.objectId),
      });
      const clash = await put(alice, team.id, other);
      assert.equal(clash.status, 409);
      assert.equal(clash.body.error?.code, 'HUSH_ERR_CONFLICT');
      const list = await alice.request<{ objects: Item[] }>('GET', `/v1/teams/${team.id}/objects`);
      assert.equal(list.body.objects.filter((o) => o.objectId === m.objectId).length, 1);
    });

    it('keeps versions contiguous', async () => {
      const id = b.randomBytes(16);
      const gap = await put(alice, team.id, await seal(team, alice, { objectId: id, version: 2 }));
      assert.equal(gap.body.error?.code, 'HUSH_ERR_VERSION_CONFLICT');
      assert.equal((gap.body.error as unknown as Put).currentVersion, 0);
      for (const version of [1, 2, 3])
        assert.equal(
          (await put(alice, team.id, await seal(team, alice, { objectId: id, version }))).status,
          201,
        );
      const skip = await put(alice, team.id, await seal(team, alice, { objectId: id, version: 5 }));
      assert.equal((skip.body.error as unknown as Put).currentVersion, 3);
      const stale = await put(bob, team.id, await seal(team, bob, { objectId: id, version: 2 }));
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error?.code, 'HUSH_ERR_VERSION_CONFLICT');
      assert.equal((stale.body.error as unknown as Put).currentVersion, 3);
    });

    it('compare-and-sets kv entries by blind index: one of two racing writers wins', async () => {
      const ik = await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'kv');
      const bi = await blindIndex(b, ik, 'env', `DATABASE_URL-${kind}`);
      const kv = (by: TestClient, body: string, objectId?: Uint8Array, version = 1) =>
        seal(team, by, {
          collection: COLLECTION.kv,
          blindIndex: bi,
          body,
          version,
          ...(objectId ? { objectId } : {}),
        });
      const created = await Promise.all([
        put(alice, team.id, await kv(alice, 'a')),
        put(bob, team.id, await kv(bob, 'b')),
      ]);
      assert.deepEqual(created.map((r) => r.status).sort(), [201, 409]);
      const lost = created.find((r) => r.status === 409) as Reply<Put>;
      const won = created.find((r) => r.status === 201) as Reply<Put>;
      assert.equal(lost.body.error?.code, 'HUSH_ERR_VERSION_CONFLICT');
      assert.equal((lost.body.error as unknown as Put).objectId, won.body.objectId);
      assert.equal((lost.body.error as unknown as Put).currentVersion, 1);

      const winnerId = fromBase64url(won.body.objectId);
      const updates = await Promise.all([
        put(alice, team.id, await kv(alice, 'a2', winnerId, 2)),
        put(bob, team.id, await kv(bob, 'b2', winnerId, 2)),
      ]);
      assert.deepEqual(updates.map((r) => r.status).sort(), [201, 409]);
      const loser = updates.find((r) => r.status === 409) as Reply<Put>;
      assert.equal(loser.body.error?.code, 'HUSH_ERR_VERSION_CONFLICT');
      assert.equal((loser.body.error as unknown as Put).currentVersion, 2);

      const entry = await carol.request<Item>('GET', `/v1/teams/${team.id}/kv/${toBase64url(bi)}`);
      assert.equal(entry.body.version, 2);
      assert.equal(entry.body.blindIndex, toBase64url(bi));
      assert.ok(['a2', 'b2'].includes(await open(team, entry.body)));
      const none = await carol.request(
        'GET',
        `/v1/teams/${team.id}/kv/${toBase64url(b.randomBytes(32))}`,
      );
      assert.equal(none.body.error?.code, 'HUSH_ERR_NOT_FOUND');

      const moved = await put(
        alice,
        team.id,
        await seal(team, alice, { collection: COLLECTION.kv, objectId: winnerId, version: 3 }),
      );
      assert.equal(moved.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE', 'blind index is fixed');
    });

    it('deletes with a signed tombstone, and a key can be set again afterwards', async () => {
      const ik = await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'secret');
      const bi = await blindIndex(b, ik, 'env', 'API_TOKEN');
      const id = b.randomBytes(16);
      const s = (version: number, flags = 0, body = 'v') =>
        seal(team, alice, {
          collection: COLLECTION.secret,
          blindIndex: bi,
          objectId: id,
          version,
          flags,
          body: flags ? '' : body,
        });
      const early = await put(alice, team.id, await s(1, FLAG_TOMBSTONE));
      assert.equal(early.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');
      assert.equal((await put(alice, team.id, await s(1))).status, 201);
      const del = await put(alice, team.id, await s(2, FLAG_TOMBSTONE));
      assert.equal(del.status, 201);
      const entry = await bob.request<Item>('GET', `/v1/teams/${team.id}/kv/${toBase64url(bi)}`);
      assert.equal(entry.body.tombstone, true);
      assert.equal(await open(team, entry.body), '');
      const list = await bob.request<{ objects: Item[] }>(
        'GET',
        `/v1/teams/${team.id}/objects?since=${del.body.seq - 1}&limit=1`,
      );
      assert.deepEqual(
        list.body.objects.map((o) => [o.seq, o.tombstone]),
        [[del.body.seq, true]],
      );
      assert.equal((await put(alice, team.id, await s(3, 0, 'again'))).status, 201);
      const back = await bob.request<Item>('GET', `/v1/teams/${team.id}/kv/${toBase64url(bi)}`);
      assert.equal(await open(team, back.body), 'again');
    });

    it('lets readers read but not write, and hides the team from non-members', async () => {
      const w = await put(carol, team.id, await seal(team, carol, { body: 'x' }));
      assert.equal(w.status, 403);
      assert.equal(w.body.error?.code, 'HUSH_ERR_FORBIDDEN');
      const read = await carol.request('GET', `/v1/teams/${team.id}/objects`);
      assert.equal(read.status, 200);
      const outsider = await put(dave, team.id, await seal(team, dave, { body: 'x' }));
      assert.equal(outsider.status, 404);
      assert.equal(outsider.body.error?.code, 'HUSH_ERR_NOT_FOUND');
      for (const path of ['objects', `objects/${toBase64url(b.randomBytes(16))}`]) {
        const r = await dave.request('GET', `/v1/teams/${team.id}/${path}`);
        assert.equal(r.body.error?.code, 'HUSH_ERR_NOT_FOUND');
      }
      const anon = await dave.request('GET', `/v1/teams/${team.id}/objects`, undefined, {
        auth: false,
      });
      assert.equal(anon.body.error?.code, 'HUSH_ERR_UNAUTHENTICATED');
    });

    it('refuses envelopes of another device, bad signatures and route mismatches', async () => {
      const alices = await seal(team, alice, { body: 'mine' });
      const relay = await put(bob, team.id, alices);
      assert.equal(relay.status, 403, 'bob cannot upload what alice signed');
      assert.equal(relay.body.error?.code, 'HUSH_ERR_FORBIDDEN');

      const forged = await seal(team, bob, { body: 'forged' });
      forged.envelope.set([(forged.envelope.at(-1) as number) ^ 1], forged.envelope.length - 1);
      const bad = await put(bob, team.id, forged);
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');

      const m = await seal(team, alice);
      const other = toBase64url(b.randomBytes(16));
      for (const e of [
        { ...m, objectId: other },
        { ...m, version: 2 },
      ]) {
        const r = await put(alice, team.id, e);
        assert.equal(r.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE', JSON.stringify(e.version));
      }
      const second = await TestTeam.create(alice, 'second');
      const wrongTeam = await put(alice, second.id, m);
      assert.equal(wrongTeam.status, 422);
      assert.equal(wrongTeam.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');
      const junk = await alice.request(
        'PUT',
        `/v1/teams/${team.id}/objects/${m.objectId}/versions/1`,
        { envelope: toBase64url(new Uint8Array(80)) },
      );
      assert.equal(junk.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');
      for (const path of [`objects/${m.objectId}/versions/0`, `objects/AAAA/versions/1`]) {
        const r = await alice.request('PUT', `/v1/teams/${team.id}/${path}`, {
          envelope: toBase64url(m.envelope),
        });
        assert.equal(r.body.error?.code, 'HUSH_ERR_BAD_REQUEST', path);
      }
      const noBody = await alice.request(
        'PUT',
        `/v1/teams/${team.id}/objects/${m.objectId}/versions/1`,
        { envelope: 42 },
      );
      assert.equal(noBody.body.error?.code, 'HUSH_ERR_BAD_REQUEST');
      const ids = await alice.request<{ objects: Item[] }>('GET', `/v1/teams/${team.id}/objects`);
      assert.equal(ids.body.objects.filter((o) => o.objectId === m.objectId).length, 0);
    });

    it('acknowledges a burst of 200 concurrent writes to two teams, each listed once with consecutive seqs', async () => {
      // Writes to both teams land in the same batches, whose counters are updated together.
      const teams = [await TestTeam.create(alice, 'burst'), await TestTeam.create(alice, 'burst2')];
      for (const t of teams) assert.equal((await t.add(alice, bob)).status, 200);
      const writers = [alice, bob];
      const plan = Array.from({ length: 200 }, (_, i) => ({
        team: teams[(i >> 1) % 2] as TestTeam,
        writer: writers[i % 2] as TestClient,
      }));
      const envelopes = await Promise.all(
        plan.map((w, i) => seal(w.team, w.writer, { body: `m${i}` })),
      );
      const replies = await Promise.all(
        envelopes.map((e, i) => put(plan[i]?.writer as TestClient, plan[i]?.team.id as string, e)),
      );
      assert.deepEqual(
        replies.filter((r) => r.status !== 201).map((r) => r.body),
        [],
      );
      for (const t of teams) {
        const mine = envelopes.filter((_, i) => plan[i]?.team === t);
        const seqs = replies
          .filter((_, i) => plan[i]?.team === t)
          .map((r) => r.body.seq)
          .sort((x, y) => x - y);
        assert.deepEqual(
          seqs,
          Array.from({ length: 100 }, (_, i) => i + 1),
        );
        const listed: Item[] = [];
        let since = 0;
        for (;;) {
          const page = await bob.request<{ objects: Item[]; next: number }>(
            'GET',
            `/v1/teams/${t.id}/objects?since=${since}&limit=64`,
          );
          listed.push(...page.body.objects);
          if (page.body.objects.length === 0) break;
          since = page.body.next;
        }
        assert.deepEqual(
          listed.map((o) => o.seq),
          seqs,
        );
        assert.deepEqual(
          new Set(listed.map((o) => o.objectId)),
          new Set(mine.map((e) => e.objectId)),
        );
        // The team's stored counter moved with the batches: the next write takes 101.
        const next = await put(alice, t.id, await seal(t, alice, { body: 'after' }));
        assert.equal(next.body.seq, 101);
      }
      const bad = await bob.request('GET', `/v1/teams/${teams[0]?.id}/objects?limit=1001`);
      assert.equal(bad.body.error?.code, 'HUSH_ERR_BAD_REQUEST');
    });
  });

  describe(`team object limits (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    before(async () => {
      server = await spawnServer(storage, [
        ...ARGS,
        '--team-quota-bytes',
        '3000',
        '--max-object-bytes',
        '2048',
      ]);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('refuses an object over the size limit (413) and writes over the team quota (507)', async () => {
      const alice = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      const big = await put(alice, team.id, await seal(team, alice, { body: 'x'.repeat(4000) }));
      assert.equal(big.status, 413);
      assert.equal(big.body.error?.code, 'HUSH_ERR_OBJECT_TOO_LARGE');
      const ok = await put(alice, team.id, await seal(team, alice, { body: 'x'.repeat(1500) }));
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const over = await put(alice, team.id, await seal(team, alice, { body: 'x'.repeat(1500) }));
      assert.equal(over.status, 507);
      assert.equal(over.body.error?.code, 'HUSH_ERR_QUOTA_EXCEEDED');
      const small = await put(alice, team.id, await seal(team, alice, { body: 'y' }));
      assert.equal(small.status, 201, 'a write that fits still goes through');
      const other = await TestTeam.create(alice, 'other');
      const fresh = await put(
        alice,
        other.id,
        await seal(other, alice, { body: 'x'.repeat(1500) }),
      );
      assert.equal(fresh.status, 201, 'the quota is per team');
    });
  });
}
