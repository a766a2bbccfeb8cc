/**
 * Agent secret grants against a real relay (SQLite): what the SDK's reader accepts as a
 * grant and what it ignores. Grants written by code that uses the entries module directly
 * (what any member's own process can do, since the relay cannot tell a grant from other
 * KV data) stand in for an agent that grants itself, a writer, and a malformed value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBase64url, utf8 } from '@hush/core';
import type { Ctx } from '../src/context.js';
import { Entries, KV_ENTRIES } from '../src/entries.js';
import { AuthError, GRANT_PREFIX, Hush, NotFoundError } from '../src/index.js';
import { spawnServer, Storage, type ServerProcess } from './harness.js';
import { person, tempHome } from './helpers.js';

/** Writes a grant entry as `who`, bypassing `hush.grants` (and kv's reserved prefix). */
async function writeRaw(who: Hush, teamId: string, agent: string, json: string | undefined) {
  const ctx = (who.kv as unknown as { ctx: Ctx }).ctx;
  const entries = new Entries(ctx, who.teams, who.messages, KV_ENTRIES);
  await who.kv.list({ team: teamId }); // sync the team first
  await entries.write(fromBase64url(teamId), [
    {
      environment: '',
      name: GRANT_PREFIX + agent,
      value: json === undefined ? undefined : utf8(json),
    },
  ]);
}

describe('agent secret grants', () => {
  let storage: InstanceType<typeof Storage>;
  let server: ServerProcess;
  let alice: Hush;
  let bob: Hush;
  let agent: Hush;
  let agentId: string;
  let team: string;

  before(async () => {
    storage = new Storage('sqlite');
    server = await spawnServer(storage);
    alice = await person(server.url, 'alice');
    bob = await person(server.url, 'bob');
    agent = await Hush.init({
      home: tempHome(),
      server: server.url,
      name: 'runner',
      agent: { sponsor: alice.whoami().principalId },
    });
    agentId = agent.whoami().principalId;
    team = (await alice.teams.create('core')).id;
    await bob.join(await alice.teams.invite('core', { role: 'writer' }));
    await alice.teams.add('core', agentId, 'agent');
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
  });

  it('nothing is granted before a human owner or admin writes a grant', async () => {
    const g = await agent.grants.get();
    assert.deepEqual(
      { granted: g.granted, envs: g.envs, version: g.version, agent: g.agent, team: g.team.name },
      { granted: false, envs: [], version: 0, agent: agentId, team: 'core' },
    );
    assert.match(g.reason, /no grant/);
  });

  it('allow and revoke by the owner; allowing adds, revoking some keeps the rest', async () => {
    let g = await alice.grants.allow(agentId);
    assert.deepEqual(g.envs, ['development']);
    g = await alice.grants.allow(agentId, { envs: ['test', 'development'] });
    assert.deepEqual(g.envs, ['development', 'test']);
    assert.equal(g.version, 2);
    g = await alice.grants.allow(agentId, { envs: ['test'] });
    assert.equal(g.version, 2, 'nothing new: nothing written');
    const seen = await agent.grants.get();
    assert.deepEqual(
      [seen.granted, seen.envs, seen.by?.principalId],
      [true, ['development', 'test'], alice.whoami().principalId],
    );
    g = await alice.grants.revoke(agentId, { envs: ['test'] });
    assert.deepEqual(g.envs, ['development']);
  });

  it('a human identity needs a grant too, and an admin can write its own', async () => {
    assert.equal((await alice.grants.get()).granted, false);
    const own = await alice.grants.allow(alice.whoami().principalId, { envs: ['staging'] });
    assert.deepEqual([own.granted, own.envs], [true, ['staging']]);
  });

  it('a writer, the agent itself and a non-member cannot grant through the SDK', async () => {
    await assert.rejects(bob.grants.allow(agentId, { team }), AuthError);
    await assert.rejects(agent.grants.allow(agentId), AuthError);
    await assert.rejects(
      alice.grants.allow('A'.repeat(43), { team }),
      (e: unknown) => e instanceof NotFoundError && /not a member/.test(e.message),
    );
  });

  it('a grant version by an agent or a writer, or a malformed one, grants nothing', async () => {
    await writeRaw(agent, team, agentId, '{"envs":["development","production"]}');
    let g = await agent.grants.get();
    assert.equal(g.granted, false, 'the agent granted itself: ignored, and the latest counts');
    assert.match(g.reason, /written by an agent/);

    await writeRaw(bob, team, agentId, '{"envs":["production"]}');
    g = await agent.grants.get();
    assert.equal(g.granted, false);
    assert.match(g.reason, /written by a writer, not an owner or admin/);

    for (const bad of [
      '{"envs":"production"}',
      '{"envs":["production"],"more":1}',
      '[]',
      '{"envs":[""]}',
    ]) {
      await writeRaw(alice, team, agentId, bad);
      g = await agent.grants.get();
      assert.equal(g.granted, false, bad);
      assert.match(g.reason, /is not \{"envs": \[\.\.\.\]\}/, bad);
    }

    await writeRaw(alice, team, agentId, '{"envs":[]}');
    assert.match((await agent.grants.get()).reason, /names no environment/);

    await writeRaw(alice, team, agentId, '{"envs":["production"]}');
    g = await agent.grants.get();
    assert.deepEqual([g.granted, g.envs], [true, ['production']], 'an owner’s raw grant counts');
  });

  it('revoking everything deletes the grant; an agent’s own deletion also ends it', async () => {
    let g = await alice.grants.revoke(agentId);
    assert.deepEqual([g.granted, g.envs], [false, []]);
    assert.match((await agent.grants.get()).reason, /revoked/);
    const again = await alice.grants.revoke(agentId);
    assert.equal(again.version, g.version, 'revoking nothing writes nothing');

    await alice.grants.allow(agentId);
    await writeRaw(agent, team, agentId, undefined);
    g = await agent.grants.get();
    assert.deepEqual([g.granted, g.reason], [false, 'the grant was revoked']);
  });
});
