import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hush, type HushEvent } from '../src/index.js';
import { spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

describe('watch and session', () => {
  let storage: InstanceType<typeof Storage>;
  let server: ServerProcess;
  before(async () => {
    storage = new Storage('sqlite');
    server = await spawnServer(storage);
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
  });

  it('yields verified messages and snippets as they arrive', async () => {
    const alice = await person(server.url, 'alice');
    const bob = await person(server.url, 'bob');
    const t = await alice.teams.create('live');
    await bob.join(await alice.teams.invite(t.id));
    const ac = new AbortController();
    const got: HushEvent[] = [];
    const done = (async () => {
      for await (const e of bob.watch({ signal: ac.signal })) {
        got.push(e);
        if (e.type === 'ready') {
          await alice.messages.send('live', { text: 'ping' });
          await alice.messages.send(`@${bob.whoami().principalId}`, { text: 'direct ping' });
          await alice.snippets.share({ target: 'live', content: 'x = 1\n', path: 'a.py' });
        }
        if (got.filter((x) => x.type === 'message' || x.type === 'snippet').length === 3)
          ac.abort();
      }
    })();
    await done;
    const texts = got.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
    assert.deepEqual(texts.sort(), ['direct ping', 'ping']);
    const snippets = got.flatMap((e) => (e.type === 'snippet' ? [e.snippet] : []));
    assert.deepEqual(
      snippets.map((s) => [s.content, s.language, s.from.name]),
      [['x = 1\n', 'python', 'alice']],
    );
  });

  it('refreshes an expired access token once and keeps the refresh token', async () => {
    const home = (await person(server.url, 'carol')).whoami().home;
    const c = await Hush.open({ home }); // signs in with the persisted refresh token
    assert.deepEqual(await c.teams.list(), []);
    let spoiled = 0;
    const spoil: typeof fetch = (input, init) => {
      const h = new Headers(init?.headers);
      if (h.has('authorization') && spoiled === 0) {
        spoiled++;
        h.set('authorization', 'Bearer hat_expired');
      }
      return fetch(input, { ...init, headers: h });
    };
    const again = await Hush.open({ home, fetch: spoil });
    await again.teams.create('after-401'); // 401 once, then refresh and retry
    assert.equal(spoiled, 1);
    assert.equal((await again.teams.list())[0]?.name, 'after-401');
  });
});
