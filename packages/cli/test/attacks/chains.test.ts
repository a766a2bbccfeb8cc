/**
 * Attack classes 8, 9, 10 and 11 through the real binary: a relay that serves older
 * versions, forks a chain, hides a removal, or keeps serving a removed member. Where hush
 * cannot see the attack (what a device never saw can be withheld), the test shows what
 * actually happens, and docs/THREAT-MODEL.md states the limit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fromBase64url, sealTeamField, teamLink, toBase64url, utf8 } from '@hush/core';
import type { StateData } from '../../../client/dist/src/state.js';
import { cleanup, hush, tempDir } from '../helpers.js';
import { b, headerOf, identityOf, teamKeyOf, teamStateOf } from './forge.js';
import {
  attackScene,
  honestly,
  ok,
  pendingObjects,
  refused,
  startProxy,
  type Proxy,
  type Row,
} from './scene.js';

interface Links {
  links: string[];
  fromSeq: number;
}
interface Shown {
  name: string;
  generation: number;
  headSeq: number;
  head: string;
  memberList: { name: string }[];
}

describe('attack classes 8, 9, 10, 11: freshness, forks and removal', () => {
  const s = attackScene();
  /** carol joins in class 8, is removed in class 10, and is served by a lying relay in 11. */
  const carol = tempDir('carol');
  let carolProxy: Proxy | undefined;
  let carolId = '';
  after(async () => {
    await carolProxy?.close();
    cleanup(carol);
  });
  const linksPath = () => `/v1/teams/${s.teamId}/links`;
  const show = (home: string) =>
    hush(home, ['team', 'show', 'core', '--json']).then(
      (r) => JSON.parse(ok(r, 'show').stdout) as Shown,
    );
  const texts = async (home: string) =>
    (
      JSON.parse(ok(await hush(home, ['inbox', '--json']), 'inbox').stdout) as { text: string }[]
    ).map((m) => m.text);

  it('class 8: an older kv version, chain or key generation served after a newer one is a rollback (exit 5); a version never seen can be withheld', async () => {
    ok(await hush(s.alice, ['kv', 'set', 'cfg', '"one"']), 'v1');
    const [v1] = (await pendingObjects(s, s.bob, s.teamId)) as [Row];
    ok(await hush(s.bob, ['kv', 'get', 'cfg']), 'bob verifies version 1');
    ok(await hush(s.alice, ['kv', 'set', 'cfg', '"two"']), 'v2');
    const [v2] = (await pendingObjects(s, s.bob, s.teamId)) as [Row];
    assert.equal(ok(await hush(s.bob, ['kv', 'get', 'cfg']), 'v2').stdout, '"two"\n');
    ok(await hush(s.alice, ['kv', 'set', 'cfg', '"three"']), 'v3');
    const [v3] = (await pendingObjects(s, s.bob, s.teamId)) as [Row];
    const serveAs = (old: Row) => {
      s.proxy.tamper = (m, p, body) => {
        if (m !== 'GET' || p !== `/v1/teams/${s.teamId}/objects`) return undefined;
        const page = body as { objects: Row[] };
        return {
          ...page,
          objects: page.objects.map((o) =>
            o.seq === v3.seq ? { ...o, version: old.version, envelope: old.envelope } : o,
          ),
        };
      };
    };
    const rollback = /after version 2 \(rollback\)/;
    serveAs(v1);
    const r1 = await refused(s.bob, ['kv', 'get', 'cfg'], rollback, { secrets: ['one', 'three'] });
    serveAs(v2);
    const r2 = await refused(s.bob, ['kv', 'list'], rollback);
    s.honest();
    assert.equal(
      ok(await honestly(s.bob, ['kv', 'get', 'cfg'], [r1, r2]), 'v3').stdout,
      '"three"\n',
    );

    // An older chain, and with it an older key generation, after bob saw the rotation.
    ok(await hush(s.alice, ['team', 'rotate', 'core']), 'rotate');
    assert.equal((await show(s.bob)).generation, 2);
    s.proxy.tamper = (m, p, body) =>
      m === 'GET' && p === linksPath() ? { ...(body as Links), links: [] } : undefined;
    const chain = await refused(s.bob, ['kv', 'get', 'cfg'], /rollback/);
    s.honest();
    await honestly(s.bob, ['kv', 'get', 'cfg'], chain);

    // What hush cannot see: carol joins now, and the relay withholds versions 2 and 3, which
    // her device never saw. She is shown version 1 as the latest, and nothing is refused.
    const cp = await startProxy(s.server.url);
    carolProxy = cp;
    ok(await hush(carol, ['init', '--name', 'carol', '--server', cp.url]), 'carol');
    carolId = (
      JSON.parse(ok(await hush(carol, ['whoami', '--json']), 'who').stdout) as {
        principalId: string;
      }
    ).principalId;
    ok(
      await hush(carol, [
        'join',
        ok(await hush(s.alice, ['team', 'invite', 'core']), 'inv').stdout.trim(),
      ]),
      'join',
    );
    cp.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== `/v1/teams/${s.teamId}/objects`) return undefined;
      const page = body as { objects: Row[] };
      return { ...page, objects: page.objects.filter((o) => o.seq !== v2.seq && o.seq !== v3.seq) };
    };
    assert.equal(ok(await hush(carol, ['kv', 'get', 'cfg']), 'withheld').stdout, '"one"\n');
    cp.tamper = undefined;
    assert.equal(ok(await hush(carol, ['kv', 'get', 'cfg']), 'honest').stdout, '"three"\n');
  });

  it('class 10: a removal served without its rotation is refused (exit 5); a relay that hides the removal entirely keeps the old key in use until the client sees it', async () => {
    ok(await hush(s.bob, ['inbox']), 'bob pins the chain with carol in it');
    const before = (await show(s.bob)).generation;
    ok(await hush(s.alice, ['team', 'remove', 'core', carolId]), 'remove carol');
    let served: string[] = [];
    s.proxy.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== linksPath()) return undefined;
      served = (body as Links).links;
      return { ...(body as Links), links: served.slice(0, -1) };
    };
    const noRotation = /not followed by a key rotation/;
    const hidden = await refused(s.bob, ['inbox'], noRotation);
    const send = await refused(s.bob, ['send', 'core', 'to whom?'], noRotation);
    assert.equal(served.length, 3, 'the pinned link, the removal, the rotation');

    // The whole removal withheld: bob's chain ends at his pin, so nothing looks wrong, and he
    // writes under the generation carol holds.
    s.proxy.tamper = (m, p, body) =>
      m === 'GET' && p === linksPath()
        ? { ...(body as Links), links: served.slice(0, 1) }
        : undefined;
    let written = '';
    s.proxy.tamperRequest = (m, p, body) => {
      if (m === 'PUT' && p.startsWith(`/v1/teams/${s.teamId}/objects/`))
        written = (JSON.parse(body.toString()) as { envelope: string }).envelope;
      return undefined;
    };
    ok(await hush(s.bob, ['send', 'core', 'written while the removal was hidden']), 'send');
    assert.equal(headerOf(written).team?.generation, before, 'sealed under the old generation');
    s.honest();
    await honestly(s.bob, ['inbox'], [hidden, send]);
    const now = await show(s.bob);
    assert.equal(now.generation, before + 1);
    assert.ok(!now.memberList.some((m) => m.name === 'carol'));
    ok(await hush(s.bob, ['send', 'core', 'after the removal']), 'send');
  });

  it('class 11: a removed member whom the relay keeps serving cannot read what was written after (exit 5)', async () => {
    const cp = carolProxy;
    assert.ok(cp, 'carol has her own proxy (class 8)');
    ok(await hush(s.alice, ['send', 'core', 'for the remaining members']), 'send');
    ok(await hush(s.alice, ['inbox']), 'alice caches everything');
    // The relay serves carol the team as it is now, as if she were still a member: the chain
    // (her removal and the rotation in it), no key box, and every object.
    const alice = JSON.parse(readFileSync(join(s.alice, 'state.json'), 'utf8')) as StateData;
    const rec = alice.teams[s.teamId];
    assert.ok(rec);
    const rows = (filter: (o: Row) => boolean) => (query: string) => {
      const since = Number(new URLSearchParams(query).get('since') ?? 0);
      const objects = rec.objects.filter((o) => o.seq > since && filter(o));
      return { objects, next: objects[objects.length - 1]?.seq ?? since };
    };
    const serve = (objects: (query: string) => unknown) => {
      cp.block = (m, p, query) => {
        if (m !== 'GET') return undefined;
        if (p === '/v1/teams')
          return {
            status: 200,
            body: { teams: [{ id: s.teamId, headSeq: rec.pin.seq, role: 3 }] },
          };
        if (p === linksPath()) {
          const since = Number(new URLSearchParams(query).get('since') ?? 0);
          return { status: 200, body: { links: rec.links.slice(since), fromSeq: since } };
        }
        if (p === `/v1/teams/${s.teamId}/keyboxes`) return { status: 200, body: { keyBoxes: [] } };
        if (p === `/v1/teams/${s.teamId}/objects`) return { status: 200, body: objects(query) };
        return undefined;
      };
    };
    serve(rows(() => true));
    const refusal = await refused(
      carol,
      ['inbox'],
      /team object \S+ does not verify: no key for team key generation 3/,
      {
        secrets: ['for the remaining members', 'after the removal'],
        advance: true,
      },
    );
    // What it can read: what bob wrote while the relay hid the removal from him (class 10).
    serve(rows((o) => headerOf(o.envelope).team?.generation !== 3));
    const leaked = await texts(carol);
    assert.ok(leaked.includes('written while the removal was hidden'));
    assert.ok(
      !leaked.includes('for the remaining members') && !leaked.includes('after the removal'),
    );
    cp.block = undefined;
    await honestly(carol, ['inbox'], refusal);
  });

  it('class 9: a forked chain is refused against the pin (exit 5); the two views are told apart by comparing chain heads', async () => {
    const dave = tempDir('dave');
    try {
      ok(await hush(dave, ['init', '--name', 'dave', '--server', s.proxy.url]), 'dave');
      ok(
        await hush(dave, [
          'join',
          ok(await hush(s.alice, ['team', 'invite', 'core']), 'inv').stdout.trim(),
        ]),
        'join',
      );
      const pinned = await show(dave);
      await show(s.alice);
      // A second link at the next position, signed by alice's own device (a fork needs a
      // signing member: a compromised device, or an owner colluding with the relay).
      const st = await teamStateOf(s.alice, s.teamId);
      const a = identityOf(s.alice);
      const key = teamKeyOf(s.alice, s.teamId, st.current.generation);
      const forked = await teamLink(b, st, a.principalId, a.device, {
        type: 'rename',
        nameCt: await sealTeamField(
          b,
          key,
          st.current.generation,
          'team-name',
          new Uint8Array(32),
          utf8('core (forked)'),
        ),
      });
      ok(await hush(s.alice, ['team', 'invite', 'core']), 'the real next link');
      s.proxy.tamper = (m, p, body) => {
        if (m !== 'GET' || p !== linksPath()) return undefined;
        const page = body as Links;
        return page.fromSeq === pinned.headSeq
          ? { ...page, links: [page.links[0] as string, toBase64url(forked.bytes)] }
          : undefined;
      };
      // dave is shown the fork from his pin on: a valid chain, so he accepts and pins it.
      const daveView = JSON.parse(
        ok(
          await hush(dave, ['team', 'show', toBase64url(fromBase64url(s.teamId)), '--json']),
          'fork',
        ).stdout,
      ) as Shown;
      const aliceView = await show(s.alice);
      assert.equal(daveView.headSeq, aliceView.headSeq);
      assert.notEqual(daveView.head, aliceView.head, 'comparing chain heads shows the fork');
      assert.equal(daveView.name, 'core (forked)');
      // Shown the real chain afterwards, dave refuses it: it differs from his pin.
      s.honest();
      await refused(dave, ['team', 'show', s.teamId], /fork/);
      await refused(dave, ['send', 'core (forked)', 'hello?'], /fork/);
      // The others, never shown the fork, go on; dave stays stopped until his pin is reset.
      assert.equal((await show(s.bob)).head, aliceView.head);
    } finally {
      s.honest();
      cleanup(dave);
    }
  });
});
