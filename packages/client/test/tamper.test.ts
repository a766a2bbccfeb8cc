import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBase64url, toBase64url } from '@hush/core';
import { Hush, VerificationError } from '../src/index.js';
import { spawnServer, Storage, type ServerProcess } from './harness.js';
import { person, tempHome } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

function isVerification(reason?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof VerificationError, `expected a VerificationError, got ${String(e)}`);
    if (reason) assert.equal(e.reason, reason);
    return true;
  };
}

describe('a tampering relay', () => {
  let storage: InstanceType<typeof Storage>;
  let server: ServerProcess;
  let proxy: Proxy;
  let alice: Hush;
  let bob: Hush;
  let teamId: string;
  before(async () => {
    storage = new Storage('sqlite');
    server = await spawnServer(storage);
    proxy = await startProxy(server.url);
    alice = await person(server.url, 'alice');
    bob = await Hush.init({ home: tempHome(), server: proxy.url, name: 'bob' });
    teamId = (await alice.teams.create('ops')).id;
    await bob.join(await alice.teams.invite(teamId));
    await alice.messages.send(teamId, { text: 'one' });
    await alice.messages.send(teamId, { text: 'two' });
    assert.equal((await bob.messages.inbox()).length, 2);
    await alice.teams.invite(teamId); // a new link bob has not seen yet
  });
  after(async () => {
    await proxy.close();
    await server.stop();
    await storage.destroy();
  });

  const linksPath = () => `/v1/teams/${teamId}/links`;

  it('refuses a team chain with one byte flipped', async () => {
    proxy.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== linksPath()) return undefined;
      const b = body as { links: string[] };
      const last = fromBase64url(b.links[b.links.length - 1] as string);
      last[40] = (last[40] as number) ^ 1;
      return { ...b, links: [...b.links.slice(0, -1), toBase64url(last)] };
    };
    await assert.rejects(bob.teams.show(teamId), isVerification());
    proxy.tamper = undefined;
    const ok = await bob.teams.show(teamId); // the pinned state was not damaged
    assert.equal(ok.headSeq, (await alice.teams.show(teamId)).headSeq);
  });

  it('refuses a chain rolled back below the pin', async () => {
    proxy.tamper = (m, p, body) =>
      m === 'GET' && p === linksPath() ? { ...(body as object), links: [] } : undefined;
    await assert.rejects(bob.teams.show(teamId), isVerification('rollback'));
    await assert.rejects(bob.messages.inbox(), isVerification('rollback'));
    proxy.tamper = undefined;
  });

  it('refuses a forked chain', async () => {
    proxy.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== linksPath()) return undefined;
      const b = body as { links: string[] };
      const first = fromBase64url(b.links[0] as string);
      first[first.length - 1] = (first[first.length - 1] as number) ^ 1;
      return { ...b, links: [toBase64url(first), ...b.links.slice(1)] };
    };
    await assert.rejects(bob.teams.show(teamId), isVerification('fork'));
    proxy.tamper = undefined;
  });

  it('refuses a ciphertext swapped between two messages', async () => {
    await alice.messages.send(teamId, { text: 'three' });
    await alice.messages.send(teamId, { text: 'four' });
    proxy.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== `/v1/teams/${teamId}/objects`) return undefined;
      const b = body as { objects: { envelope: string }[] };
      if (b.objects.length < 2) return undefined;
      const [x, y] = b.objects as [{ envelope: string }, { envelope: string }];
      return {
        ...b,
        objects: [
          { ...x, envelope: y.envelope },
          { ...y, envelope: x.envelope },
          ...b.objects.slice(2),
        ],
      };
    };
    await assert.rejects(bob.messages.inbox({ team: teamId }), isVerification());
    proxy.tamper = undefined;
    const texts = (await bob.messages.inbox({ team: teamId })).map((m) => m.text);
    assert.deepEqual(texts, ['one', 'two', 'three', 'four']);
  });

  it('refuses a substituted key box', async () => {
    await alice.teams.rotate(teamId);
    proxy.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== `/v1/teams/${teamId}/keyboxes`) return undefined;
      const b = body as { keyBoxes: { generation: number; box: string }[] };
      return {
        keyBoxes: b.keyBoxes.map((k) => {
          const raw = fromBase64url(k.box);
          raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
          return { ...k, box: toBase64url(raw) };
        }),
      };
    };
    await assert.rejects(bob.teams.show(teamId), isVerification());
    proxy.tamper = undefined;
    assert.equal((await bob.teams.show(teamId)).generation, 2);
  });
});
