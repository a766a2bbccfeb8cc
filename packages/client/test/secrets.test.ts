/**
 * The secrets SDK against a real relay (SQLite): what a removed member could read, batch
 * writes that stop at a failure and say what they wrote, the read-only open that writes
 * nothing, and kv.watch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Hush, NotFoundError, UsageError } from '../src/index.js';
import { spawnServer, Storage, type ServerProcess } from './harness.js';
import { person, tempHome } from './helpers.js';

describe('secrets SDK', () => {
  let storage: InstanceType<typeof Storage>;
  let server: ServerProcess;
  let alice: Hush;
  let bob: Hush;
  let bobHome: string;
  before(async () => {
    storage = new Storage('sqlite');
    server = await spawnServer(storage);
    alice = await person(server.url, 'alice');
    bobHome = tempHome();
    bob = await Hush.init({ home: bobHome, server: server.url, name: 'bob' });
    await alice.teams.create('core');
    await bob.join(await alice.teams.invite('core'));
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
  });

  it('setMany stops at the first failure and names what it wrote before it', async () => {
    await assert.rejects(
      alice.secrets.setMany({ A: 'a', B: 'b', HUGE: 'x'.repeat(1_048_577), C: 'c' }),
      (e: unknown) =>
        e instanceof UsageError &&
        /cannot store secret HUGE/.test(e.message) &&
        /written before it: A, B$/.test(e.message),
    );
    assert.deepEqual(
      (await bob.secrets.list()).map((s) => s.name),
      ['A', 'B'],
    );
  });

  it('a read-only open syncs and verifies, and leaves state.json as it was', async () => {
    await alice.secrets.set('A', 'a2');
    const state = join(bobHome, 'state.json');
    const before = readFileSync(state, 'utf8');
    const ro = await Hush.open({ home: bobHome, readOnly: true });
    assert.deepEqual(await ro.secrets.values(), { A: 'a2', B: 'b' });
    assert.equal(readFileSync(state, 'utf8'), before);
    assert.equal((await bob.secrets.get('A')).value, 'a2', 'the stored session still works');
  });

  it('exposedTo: values written before the removal, by id or by the former name', async () => {
    await alice.secrets.set('PROD_KEY', 'p', { env: 'production' });
    const bobId = bob.whoami().principalId;
    const before = await alice.secrets.exposedTo('core', '@bob');
    assert.deepEqual(
      before.map((s) => `${s.environment}/${s.name}`),
      ['development/A', 'development/B', 'production/PROD_KEY'],
    );
    await alice.teams.remove('core', bobId);
    await alice.secrets.set('AFTER', 'written after the rotation');
    await alice.secrets.set('B', 'b2');
    for (const who of [bobId, '@bob', 'bob']) {
      const exposed = await alice.secrets.exposedTo('core', who);
      assert.deepEqual(
        exposed.map((s) => `${s.environment}/${s.name}`),
        ['development/A', 'production/PROD_KEY'],
        who,
      );
    }
    await assert.rejects(alice.secrets.exposedTo('core', '@nobody'), NotFoundError);
  });

  it('kv.watch yields a change once it is verified', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const ev of alice.kv.watch({ signal: stop.signal, retryMs: 100 })) {
        if (ev.type === 'ready') await alice.kv.set('k', { v: 1 });
        if (ev.type === 'set') {
          seen.push(`${ev.entry.key}=${ev.entry.json}@${ev.entry.version}`);
          stop.abort();
        }
      }
    })();
    await watching;
    assert.deepEqual(seen, ['k={"v":1}@1']);
  });
});
