/**
 * The audit's second rule (PROTOCOL.md 5.5): every active device of every current member
 * holds a key box for the current generation. A device linked without the rotation that
 * gives it the key is reported (a warning on reads, `audit.missingKeyBoxes` in
 * `teams.show`) until a rotation boxes the key to it; and the relay's list is only a hint:
 * a relay that claims a box exists silences the report.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hush } from '../src/index.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person, tempHome } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

for (const kind of await dialects())
  describe(`the key box audit on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let proxy: Proxy;
    let alice: Hush;
    let bob: Hush;
    let token: string;
    let laptop: string;
    const missing = (lines: readonly string[]) =>
      lines.filter((l) => l.includes(laptop.slice(0, 10)));
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      proxy = await startProxy(server.url);
      alice = await person(server.url, 'alice');
      bob = await person(server.url, 'bob');
      await alice.teams.create('audit');
      await bob.join(await alice.teams.invite('audit'));
      // A device joins, but the linking side never rotates (it crashed, or was stopped).
      token = await alice.devices.link();
      const l = await Hush.joinDevice({ home: tempHome(), server: server.url, token });
      laptop = l.whoami().deviceId;
    });
    after(async () => {
      await proxy.close();
      await server.stop();
      await storage.destroy();
    });

    it('reports a member device without a key box, on reads and in teams.show', async () => {
      await alice.messages.send('audit', { text: 'the laptop cannot read this' });
      bob.takeWarnings();
      assert.ok((await bob.messages.inbox()).some((m) => m.text.startsWith('the laptop')));
      const warned = missing(bob.takeWarnings());
      assert.equal(warned.length, 1, 'one warning, however many syncs');
      assert.match(warned[0] as string, /team audit: device .* holds no key box for generation 1/);
      const shown = await bob.teams.show('audit');
      assert.equal(shown.audit.ok, true, 'writing is still allowed: nobody holds the key wrongly');
      assert.equal(missing(shown.audit.missingKeyBoxes).length, 1);
      const others = shown.audit.missingKeyBoxes.filter((l) => !l.includes(laptop.slice(0, 10)));
      assert.deepEqual(others, [], 'every other device holds its box');
    });

    it('is a hint: a relay that claims the box exists silences the report', async () => {
      const carol = await person(proxy.url, 'carol');
      await carol.join(await alice.teams.invite('audit', { role: 'reader' }));
      proxy.tamper = (method, path, body) =>
        path.endsWith('/keyboxes/recipients')
          ? {
              ...(body as object),
              recipients: [...(body as { recipients: string[] }).recipients, laptop],
            }
          : undefined;
      try {
        assert.deepEqual(missing((await carol.teams.show('audit')).audit.missingKeyBoxes), []);
      } finally {
        proxy.tamper = undefined;
      }
    });

    it('the rotation that links the device clears it', async () => {
      await alice.devices.waitForJoin(token, { timeoutMs: 10_000 });
      bob.takeWarnings();
      await bob.messages.inbox();
      assert.deepEqual(missing(bob.takeWarnings()), []);
      assert.deepEqual((await bob.teams.show('audit')).audit.missingKeyBoxes, []);
    });
  });
