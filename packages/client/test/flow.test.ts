import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotFoundError, type Hush } from '../src/index.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

for (const kind of await dialects())
  describe(`two principals on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let alice: Hush;
    let bob: Hush;
    let carol: Hush;
    let teamId: string;
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      alice = await person(server.url, 'alice');
      bob = await person(server.url, 'bob');
      carol = await person(server.url, 'carol');
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('creates a team, invites, and bob joins', async () => {
      const t = await alice.teams.create('platform');
      teamId = t.id;
      assert.equal(t.name, 'platform');
      assert.equal(t.role, 'owner');
      const token = await alice.teams.invite('platform', { role: 'writer' });
      assert.match(token, /^hush_/);
      const joined = await bob.join(token);
      assert.equal(joined.id, teamId);
      assert.equal(joined.name, 'platform');
      assert.equal(joined.role, 'writer');
      const shown = await alice.teams.show('platform');
      assert.equal(shown.memberList.length, 2);
      assert.ok(shown.memberList.some((m) => m.name === 'bob' && m.role === 'writer'));
      assert.equal(shown.audit.ok, true);
    });

    it('sends messages both ways in the team', async () => {
      const r = await alice.messages.send('platform', {
        text: 'hello bob',
        topic: 'intro',
        type: 'request',
      });
      assert.equal(r.queued, false);
      const inbox = await bob.messages.inbox();
      const m = inbox.find((x) => x.id === r.id);
      assert.ok(m);
      assert.equal(m.text, 'hello bob');
      assert.equal(m.from.name, 'alice', "the creator's name travels in the create link");
      assert.equal(m.team?.name, 'platform');
      assert.equal(m.read, false);
      const reply = await bob.messages.send(teamId, {
        text: 'hi alice',
        type: 'response',
        replyTo: r.id,
      });
      const got = await alice.messages.inbox({ team: 'platform' });
      assert.deepEqual(
        got.map((x) => x.text),
        ['hello bob', 'hi alice'],
      );
      assert.equal(got[1]?.from.name, 'bob');
      const th = await bob.messages.thread(reply.id);
      assert.deepEqual(
        th.map((x) => x.id),
        [r.id, reply.id],
      );
      await bob.messages.read(r.id);
      assert.equal((await bob.messages.inbox({ unread: true })).length, 0);
    });

    it('sends direct messages both ways', async () => {
      const d = await bob.messages.send(`@${alice.whoami().principalId}`, { text: 'psst' });
      const a = await alice.messages.inbox();
      const m = a.find((x) => x.id === d.id);
      assert.equal(m?.direct, true);
      assert.equal(m?.text, 'psst');
      await alice.messages.send('@bob', { text: 'back at you' });
      const b = await bob.messages.inbox();
      assert.ok(
        b.some(
          (x) =>
            x.text === 'back at you' &&
            x.direct &&
            x.from.principalId === alice.whoami().principalId,
        ),
      );
      const acked = await alice.messages.ack(d.id);
      assert.equal(acked.acked, true);
    });

    it('adds a known principal and removes a member with rotation', async () => {
      await alice.teams.add('platform', carol.whoami().principalId, 'reader');
      const ct = await carol.teams.list();
      assert.equal(ct[0]?.name, 'platform');
      const carolSees = await carol.messages.inbox({ team: 'platform' });
      assert.deepEqual(
        carolSees.map((m) => m.text),
        ['hello bob', 'hi alice'],
      );
      const before = (await alice.teams.show('platform')).generation;
      const after = await alice.teams.remove('platform', 'bob');
      assert.equal(after.generation, before + 1);
      await alice.messages.send('platform', { text: 'after bob left' });
      // bob reads nothing new: the relay no longer serves the team, and the new key was never boxed to him
      const bobSees = await bob.messages.inbox();
      assert.ok(!bobSees.some((m) => m.text === 'after bob left'));
      assert.ok(bobSees.some((m) => m.text === 'hello bob')); // his verified history stays
      await assert.rejects(
        bob.messages.send('platform', { text: 'still here?' }),
        (e) => e instanceof Error,
      );
      // the others read all history
      const carolNow = await carol.messages.inbox({ team: 'platform' });
      assert.deepEqual(
        carolNow.map((m) => m.text),
        ['hello bob', 'hi alice', 'after bob left'],
      );
      assert.ok(!(await bob.teams.list()).some((t) => t.id === teamId));
    });

    it('reports unknown targets as not found', async () => {
      await assert.rejects(alice.messages.send('nope', { text: 'x' }), NotFoundError);
    });
  });
