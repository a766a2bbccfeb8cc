import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Hush, NetworkError } from '../src/index.js';
import { spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('the offline outbox', () => {
  let storage: InstanceType<typeof Storage>;
  let server: ServerProcess;
  let port: number;
  let alice: Hush;
  let bob: Hush;
  let teamId: string;
  before(async () => {
    storage = new Storage('sqlite');
    port = await freePort();
    server = await spawnServer(storage, ['--port', String(port)]);
    alice = await person(server.url, 'alice');
    bob = await person(server.url, 'bob');
    teamId = (await alice.teams.create('offline')).id;
    await bob.join(await alice.teams.invite(teamId));
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
  });

  it('queues a send while the relay is down and delivers it exactly once after restart', async () => {
    await alice.teams.show(teamId); // alice has verified bob's acceptance
    await server.stop();
    const r = await alice.messages.send(teamId, { text: 'sent while down' });
    assert.equal(r.queued, true);
    const d = await alice.messages.send('@bob', { text: 'direct while down' });
    assert.equal(d.queued, true);
    assert.equal((await alice.outbox.list()).length, 2);
    await assert.rejects(
      alice.outbox.flush().then((f) => {
        if (f.remaining > 0) throw new NetworkError('still down');
      }),
      NetworkError,
    );

    // A crash after the relay stored it but before the outbox entry was deleted: the
    // second delivery of the same bytes is idempotent.
    server = await spawnServer(storage, ['--port', String(port)]);
    const reopened = await Hush.open({ home: alice.whoami().home });
    const dir = join(reopened.whoami().home, 'outbox');
    const saved = readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))] as const);
    const f = await reopened.outbox.flush();
    assert.equal(f.delivered.length, 2);
    assert.equal((await reopened.outbox.list()).length, 0);
    for (const [n, bytes] of saved) writeFileSync(join(dir, n), bytes); // "crashed" before deleting
    const again = await reopened.outbox.flush();
    assert.deepEqual(
      again.delivered.map((x) => x.seq).sort(),
      f.delivered.map((x) => x.seq).sort(),
    ); // the relay answered the stored result again
    assert.equal((await reopened.outbox.flush()).delivered.length, 0);

    const seen = await bob.messages.inbox();
    assert.equal(seen.filter((m) => m.text === 'sent while down').length, 1);
    assert.equal(seen.filter((m) => m.text === 'direct while down').length, 1);
    const mine = await reopened.messages.inbox();
    assert.equal(mine.filter((m) => m.id === r.id).length, 1);
  });
});
