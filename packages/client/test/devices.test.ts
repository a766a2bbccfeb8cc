import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { nodeBackend } from '@hush/core/node';
import {
  AuthError,
  ConflictError,
  decodeRecoveryWords,
  encodeRecoveryWords,
  Hush,
  UsageError,
} from '../src/index.js';
import { RECOVERY_WORDS } from '../src/recovery-words.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person, tempHome } from './helpers.js';

describe('recovery words', () => {
  it('the list has 256 words, distinct in their first four letters', () => {
    assert.equal(RECOVERY_WORDS.length, 256);
    assert.equal(new Set(RECOVERY_WORDS.map((w) => w.slice(0, 4))).size, 256);
    assert.deepEqual([...RECOVERY_WORDS].sort(), RECOVERY_WORDS);
  });

  it('round-trips any secret, also by four-letter prefixes and in upper case', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (secret) => {
        const words = await encodeRecoveryWords(nodeBackend, secret);
        assert.equal(words.split(' ').length, 33);
        assert.deepEqual(await decodeRecoveryWords(nodeBackend, words), secret);
        const short = words
          .split(' ')
          .map((w) => w.slice(0, 4).toUpperCase())
          .join('\n  ');
        assert.deepEqual(await decodeRecoveryWords(nodeBackend, short), secret);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a changed word, a wrong count and an unknown word', async () => {
    const secret = nodeBackend.randomBytes(32);
    const words = (await encodeRecoveryWords(nodeBackend, secret)).split(' ');
    const i = words.indexOf(RECOVERY_WORDS[0] as string) === 3 ? 4 : 3;
    const swapped = [...words];
    swapped[i] = RECOVERY_WORDS[(RECOVERY_WORDS.indexOf(words[i] as string) + 1) % 256] as string;
    // A one-word change is caught unless the check byte collides (1 in 256): compare the secret.
    const r = await decodeRecoveryWords(nodeBackend, swapped.join(' ')).catch((e: unknown) => e);
    if (!(r instanceof UsageError)) assert.notDeepEqual(r, secret);
    await assert.rejects(decodeRecoveryWords(nodeBackend, words.slice(1).join(' ')), UsageError);
    await assert.rejects(
      decodeRecoveryWords(nodeBackend, ['zzzz', ...words.slice(1)].join(' ')),
      /word 1 is not in the word list/,
    );
  });
});

for (const kind of await dialects())
  describe(`devices and recovery on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let alice: Hush;
    let bob: Hush;
    let laptop: Hush;
    let laptopId: string;
    let teamId: string;
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      alice = await person(server.url, 'alice');
      bob = await person(server.url, 'bob');
      teamId = (await alice.teams.create('platform')).id;
      await bob.join(await alice.teams.invite('platform', { role: 'writer' }));
      await alice.messages.send('platform', { text: 'before the link' });
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('links a device into a second home, which reads the team history', async () => {
      const token = await alice.devices.link({ expiresInMs: 60_000 });
      assert.match(token, /^hush_/);
      const waiting = alice.devices.waitForJoin(token, { pollMs: 50, timeoutMs: 20_000 });
      laptop = await Hush.joinDevice({ home: tempHome(), server: server.url, token });
      const joined = await waiting;
      assert.deepEqual(joined.rotated, [teamId]);
      laptopId = joined.deviceId;
      assert.equal(laptop.whoami().deviceId, laptopId);
      assert.equal(laptop.whoami().principalId, alice.whoami().principalId);
      const devices = await alice.devices.list();
      assert.equal(devices.length, 2);
      assert.ok(devices.some((d) => d.id === laptopId && !d.current && !d.revoked));
      const inbox = await laptop.messages.inbox();
      assert.ok(inbox.some((m) => m.text === 'before the link'));
      assert.equal((await laptop.teams.list())[0]?.name, 'platform');
    });

    it('a reader links a device, which gets the team key without a rotation and reads the team', async () => {
      const carol = await person(server.url, 'carol');
      await carol.join(await alice.teams.invite('platform', { role: 'reader' }));
      const headBefore = (await alice.teams.show('platform')).headSeq;
      const token = await carol.devices.link({ expiresInMs: 60_000 });
      const waiting = carol.devices.waitForJoin(token, { pollMs: 50, timeoutMs: 20_000 });
      const phone = await Hush.joinDevice({ home: tempHome(), server: server.url, token });
      const joined = await waiting;
      assert.deepEqual(joined.rotated, [teamId]);
      assert.deepEqual(joined.skipped, []);
      assert.equal(
        (await alice.teams.show('platform')).headSeq,
        headBefore,
        'no link was appended',
      );
      const inbox = await phone.messages.inbox();
      assert.ok(inbox.some((m) => m.text === 'before the link'));
    });

    it('a token is accepted once', async () => {
      const token = await alice.devices.link();
      await Hush.joinDevice({ home: tempHome(), server: server.url, token });
      await assert.rejects(
        Hush.joinDevice({ home: tempHome(), server: server.url, token }),
        ConflictError,
      );
      const extra = (await alice.devices.list()).find((d) => !d.current && d.id !== laptopId);
      assert.ok(extra);
      await alice.devices.revoke(extra.id);
    });

    it('the linked device writes as alice, and bob verifies it', async () => {
      await laptop.messages.send('platform', { text: 'from the laptop' });
      const m = (await bob.messages.inbox()).find((x) => x.text === 'from the laptop');
      assert.ok(m);
      assert.equal(m.from.principalId, alice.whoami().principalId);
    });

    it('revoking rotates every team: the revoked device reads nothing new', async () => {
      const before = (await alice.teams.show('platform')).generation;
      const r = await alice.devices.revoke(laptopId.slice(0, 12));
      assert.equal(r.deviceId, laptopId);
      assert.deepEqual(r.rotated, [teamId]);
      const shown = await bob.teams.show('platform');
      assert.equal(shown.generation, before + 1);
      assert.equal(shown.audit.ok, true);
      await bob.messages.send('platform', { text: 'after the revocation' });
      await assert.rejects(
        laptop.messages.inbox(),
        (e: unknown) => e instanceof AuthError && e.code === 'HUSH_ERR_DEVICE_REVOKED',
      );
      // Offline, it holds no key for the new generation either.
      const cached = await laptop.messages.inbox({ offline: true });
      assert.ok(!cached.some((m) => m.text === 'after the revocation'));
      assert.ok((await alice.messages.inbox()).some((m) => m.text === 'after the revocation'));
      await assert.rejects(alice.devices.revoke(alice.whoami().deviceId), UsageError);
    });

    it('recovery words restore a new device that reads the history', async () => {
      const created = await alice.recovery.create();
      assert.equal(created.words.split(' ').length, 33);
      assert.deepEqual(created.rotated, [teamId]);
      const restored = await Hush.restore({
        home: tempHome(),
        server: server.url,
        words: created.words,
      });
      assert.equal(restored.whoami().principalId, alice.whoami().principalId);
      assert.equal(restored.whoami().name, 'alice');
      const texts = (await restored.messages.inbox()).map((m) => m.text);
      for (const t of ['before the link', 'from the laptop', 'after the revocation'])
        assert.ok(texts.includes(t), t);
      await restored.messages.send('platform', { text: 'restored' });
      assert.ok((await bob.messages.inbox()).some((m) => m.text === 'restored'));
      const kinds = (await alice.devices.list()).filter((d) => !d.revoked).map((d) => d.kind);
      assert.deepEqual(kinds.sort(), ['device', 'device', 'recovery']);
    });

    it('after a restore, revokeOthers revokes every lost device and rotates every team once', async () => {
      const { words } = await alice.recovery.create();
      const phoenix = await Hush.restore({ home: tempHome(), server: server.url, words });
      const before = await bob.teams.show('platform');
      const lost = (await phoenix.devices.list())
        .filter((d) => !d.current && !d.revoked && d.kind === 'device')
        .map((d) => d.id);
      assert.ok(lost.includes(alice.whoami().deviceId) && lost.length >= 2, lost.join(' '));
      const r = await phoenix.devices.revokeOthers();
      assert.deepEqual([...r.revoked].sort(), lost.sort());
      assert.deepEqual(r.rotated, [teamId]);
      const after = await bob.teams.show('platform');
      assert.equal(after.generation, before.generation + 1, 'one rotation for all of them');
      assert.equal(after.audit.ok, true);
      const active = (await phoenix.devices.list()).filter((d) => !d.revoked);
      assert.deepEqual(active.map((d) => d.kind).sort(), ['device', 'recovery']);
      await bob.messages.send('platform', { text: 'after the lost devices' });
      assert.ok((await phoenix.messages.inbox()).some((m) => m.text === 'after the lost devices'));
      await assert.rejects(
        alice.messages.inbox(),
        (e: unknown) => e instanceof AuthError && e.code === 'HUSH_ERR_DEVICE_REVOKED',
      );
      assert.deepEqual(await phoenix.devices.revokeOthers(), {
        revoked: [],
        rotated: [],
        skipped: [],
      });
      alice = phoenix; // the suite goes on from the restored device
    });

    it('new recovery words revoke the old ones', async () => {
      const first = await alice.recovery.create();
      await alice.recovery.create();
      await assert.rejects(
        Hush.restore({
          home: tempHome(),
          server: server.url,
          words: first.words,
          principalId: alice.whoami().principalId,
        }),
        AuthError,
      );
    });
  });
