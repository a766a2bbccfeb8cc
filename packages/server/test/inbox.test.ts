import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  COLLECTION,
  fromBase64url,
  fromUtf8,
  openDirectEnvelope,
  sealDirectEnvelope,
  sealTeamEnvelope,
  toBase64url,
  utf8,
  type TeamKey,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import { TestClient, type Reply } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { TestTeam } from './teams-fixture.js';

interface Item {
  seq: number;
  objectId: string;
  acked: boolean;
  envelope: string;
}
interface Page {
  items: Item[];
  next: number;
}
interface Sent {
  objectId: string;
  seq: number;
}

/** Seals a direct envelope from `from` to `to` (core adds the sender to the recipients). */
async function sealTo(
  from: TestClient,
  to: TestClient[],
  body: string,
  objectId?: Uint8Array,
): Promise<Uint8Array> {
  const devices = [from, ...to].flatMap((c) =>
    c.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })),
  );
  const { envelope } = await sealDirectEnvelope(b, {
    recipients: to.map((c) => c.state.id),
    devices,
    author: from.state.id,
    device: from.device,
    collection: COLLECTION.message,
    body: utf8(body),
    ...(objectId ? { objectId } : {}),
  });
  return envelope;
}

function send(by: TestClient, envelope: Uint8Array): Promise<Reply<Sent>> {
  return by.request<Sent>('POST', '/v1/inbox', { envelope: toBase64url(envelope) });
}

async function open(me: TestClient, from: TestClient, item: Item): Promise<string> {
  const r = await openDirectEnvelope(b, fromBase64url(item.envelope), {
    me: { id: me.device.id, kemSk: me.device.kemSk, principal: me.state.id },
    expect: { objectId: fromBase64url(item.objectId) },
    authorize: (h) => {
      const d = from.state.deviceAt(h.authorDevice, h.createdAt);
      if (!d) throw new Error('unknown author device');
      return d.sigPk;
    },
  });
  return fromUtf8(r.body);
}

for (const kind of await dialects()) {
  describe(`inbox (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let alice: TestClient;
    let bob: TestClient;
    let carol: TestClient;

    before(async () => {
      server = await spawnServer(storage, ['--rate-limit', '100000']);
      [alice, bob, carol] = (await Promise.all(
        [0, 1, 2].map(() => TestClient.create(server.url)),
      )) as [TestClient, TestClient, TestClient];
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('delivers a direct envelope to every recipient and the sender, idempotently', async () => {
      const env = await sealTo(alice, [bob], 'hi bob');
      const sent = await send(alice, env);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      assert.equal(sent.body.seq, 1, "first entry of alice's own inbox");
      const again = await send(alice, env);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, sent.body);

      const inbox = await bob.request<Page>('GET', '/v1/inbox');
      assert.equal(inbox.status, 200);
      assert.equal(inbox.body.items.length, 1);
      const item = inbox.body.items[0] as Item;
      assert.deepEqual([item.seq, item.objectId, item.acked], [1, sent.body.objectId, false]);
      assert.equal(inbox.body.next, 1);
      assert.equal(await open(bob, alice, item), 'hi bob');
      const own = await alice.request<Page>('GET', '/v1/inbox');
      assert.deepEqual(
        own.body.items.map((i) => i.objectId),
        [sent.body.objectId],
      );
      const none = await carol.request<Page>('GET', '/v1/inbox');
      assert.deepEqual(none.body, { items: [], next: 0 });

      const clash = await send(
        alice,
        await sealTo(alice, [bob], 'other', fromBase64url(sent.body.objectId)),
      );
      assert.equal(clash.status, 409);
      assert.equal(clash.body.error?.code, 'HUSH_ERR_CONFLICT');
    });

    it('pages by sequence number and acknowledges per principal', async () => {
      const ids: string[] = [];
      for (const body of ['one', 'two', 'three']) {
        const r = await send(carol, await sealTo(carol, [bob], body));
        assert.equal(r.status, 201);
        ids.push(r.body.objectId);
      }
      const all = await bob.request<Page>('GET', '/v1/inbox?since=1');
      assert.deepEqual(
        all.body.items.map((i) => i.objectId),
        ids,
      );
      const seqs = all.body.items.map((i) => i.seq);
      assert.deepEqual(seqs, [2, 3, 4]);
      const page = await bob.request<Page>('GET', '/v1/inbox?since=1&limit=2');
      assert.deepEqual(
        page.body.items.map((i) => i.seq),
        [2, 3],
      );
      assert.equal(page.body.next, 3);

      const ack = await bob.request<{ acked: number }>('POST', '/v1/inbox/ack', {
        objectIds: [ids[0], ids[1], toBase64url(b.randomBytes(16))],
      });
      assert.deepEqual(ack.body, { acked: 2 });
      const again = await bob.request<{ acked: number }>('POST', '/v1/inbox/ack', {
        objectIds: [ids[0]],
      });
      assert.deepEqual(again.body, { acked: 0 });
      const unacked = await bob.request<Page>('GET', '/v1/inbox?unacked=1');
      assert.deepEqual(unacked.body.items.map((i) => i.objectId).slice(-1), [ids[2]]);
      assert.ok(unacked.body.items.every((i) => !i.acked));
      const listed = await bob.request<Page>('GET', '/v1/inbox?since=1');
      assert.deepEqual(
        listed.body.items.map((i) => i.acked),
        [true, true, false],
      );
      const carols = await carol.request<Page>('GET', '/v1/inbox?unacked=1');
      assert.equal(carols.body.items.length, 3, "bob's acks do not touch carol's inbox");

      for (const q of ['?limit=0', '?limit=1001', '?since=-1', '?unacked=yes']) {
        const r = await bob.request('GET', `/v1/inbox${q}`);
        assert.equal(r.body.error?.code, 'HUSH_ERR_BAD_REQUEST', q);
      }
      for (const body of [{}, { objectIds: [] }, { objectIds: ['AAAA'] }]) {
        const r = await bob.request('POST', '/v1/inbox/ack', body);
        assert.equal(r.body.error?.code, 'HUSH_ERR_BAD_REQUEST');
      }
    });

    it('refuses envelopes of another device, bad signatures, team envelopes and unknown recipients', async () => {
      const before = (await bob.request<Page>('GET', '/v1/inbox')).body.items.length;
      const alices = await sealTo(alice, [bob], 'x');
      const relay = await send(bob, alices);
      assert.equal(relay.status, 403);
      assert.equal(relay.body.error?.code, 'HUSH_ERR_FORBIDDEN');

      const forged = await sealTo(bob, [alice], 'forged');
      forged.set([(forged.at(-1) as number) ^ 1], forged.length - 1);
      const bad = await send(bob, forged);
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');

      const ghost = await TestClient.create(server.url, { register: false });
      const unknown = await send(alice, await sealTo(alice, [ghost], 'anyone there?'));
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error?.code, 'HUSH_ERR_NOT_FOUND');

      const team = await TestTeam.create(alice);
      const { envelope } = await sealTeamEnvelope(b, {
        teamId: team.state.id,
        generation: 1,
        chainSeq: team.state.seq,
        key: team.keys[0] as TeamKey,
        author: alice.state.id,
        device: alice.device,
        collection: COLLECTION.message,
        body: utf8('team'),
      });
      const teamEnv = await send(alice, envelope);
      assert.equal(teamEnv.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');
      const junk = await alice.request('POST', '/v1/inbox', { envelope: 'AAAA' });
      assert.equal(junk.body.error?.code, 'HUSH_ERR_INVALID_ENVELOPE');
      const anon = await alice.request('GET', '/v1/inbox', undefined, { auth: false });
      assert.equal(anon.body.error?.code, 'HUSH_ERR_UNAUTHENTICATED');
      const bobs = await bob.request<Page>('GET', '/v1/inbox');
      assert.equal(bobs.body.items.length, before, 'nothing refused was stored');
    });

    it('gives each recipient consecutive sequence numbers under concurrent sends', async () => {
      const dave = await TestClient.create(server.url);
      const sends = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const from = i % 2 ? alice : carol;
          return send(from, await sealTo(from, [dave], `n${i}`));
        }),
      );
      assert.deepEqual(
        sends.filter((r) => r.status !== 201).map((r) => r.body),
        [],
      );
      const page = await dave.request<Page>('GET', '/v1/inbox?limit=1000');
      assert.deepEqual(
        page.body.items.map((i) => i.seq),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        new Set(page.body.items.map((i) => i.objectId)),
        new Set(sends.map((r) => r.body.objectId)),
      );
    });
  });
}
