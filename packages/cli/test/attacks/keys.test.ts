/**
 * Attack classes 1, 2 and 13 through the real binary: a relay that substitutes keys, adds
 * ghost devices or members, swaps key boxes, or hands a member a key of its own choosing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fromBase64url,
  generateDevice,
  generateTeamKey,
  principalGenesis,
  principalLink,
  ROLE,
  sealKeyBox,
  teamLink,
  toBase64url,
} from '@hush/core';
import { cleanup, hush, tempDir } from '../helpers.js';
import { b, identityOf, principalStateOf, resign, teamStateOf } from './forge.js';
import { attackScene, honestly, ok, pendingObjects, refused } from './scene.js';

interface Links {
  links: string[];
  fromSeq: number;
}
interface Boxes {
  keyBoxes: { generation: number; box: string }[];
}
interface Shown {
  generation: number;
  memberList: { principalId: string; name: string; devices: unknown[] }[];
}

describe('attack classes 1, 2, 13: keys', () => {
  const s = attackScene();
  const show = ['team', 'show', 'core', '--json'];
  const shown = async (home: string) =>
    JSON.parse(ok(await hush(home, show), 'show').stdout) as Shown;

  /** Appends `link` to the answer for `path` (links after the pin). */
  const appendLink = (path: string, link: Uint8Array) => {
    s.proxy.tamper = (m, p, body) =>
      m === 'GET' && p === path
        ? { ...(body as Links), links: [...(body as Links).links, toBase64url(link)] }
        : undefined;
  };

  it('class 1: a substituted device key, a ghost device or a ghost member is refused (exit 5)', async () => {
    const mallory = tempDir('mallory');
    try {
      ok(await hush(mallory, ['init', '--name', 'mallory', '--server', s.server.url]), 'mallory');
      const m = identityOf(mallory);
      ok(await hush(s.bob, show), 'bob pins alice and the team');
      const alicePath = `/v1/principals/${s.aliceId}/links`;

      // A ghost device on alice's chain, signed by a device alice never had.
      const alice = await principalStateOf(s.bob, s.aliceId);
      const ghost = await generateDevice(b);
      const added = await generateDevice(b);
      const ghostLink = await principalLink(
        b,
        alice,
        ghost,
        { type: 'add-device', sigPk: added.sigPk, kemPk: added.kemPk },
        { second: added.sigSeed },
      );
      appendLink(alicePath, ghostLink.bytes);
      const ghostDevice = await refused(s.bob, show, /principal \S+ does not verify/);

      // alice's genesis with another key (mallory's own, validly self-signed) in its place.
      const substituted = await principalGenesis(b, m.device);
      s.proxy.tamper = (meth, p, body) =>
        meth === 'GET' && p === alicePath
          ? { ...(body as Links), links: [toBase64url(substituted.bytes)] }
          : undefined;
      const substitutedKey = await refused(
        s.bob,
        show,
        /principal \S+ chain differs from the pinned link 0 \(fork\)/,
      );

      // A ghost member: mallory adds herself, signing with her own (valid) device.
      const team = await teamStateOf(s.bob, s.teamId);
      const mst = await principalStateOf(mallory, toBase64url(m.principalId));
      const ghostMember = await teamLink(b, team, m.principalId, m.device, {
        type: 'add-member',
        member: m.principalId,
        role: ROLE.writer,
        pin: { seq: mst.seq, head: mst.head },
        nameCt: new Uint8Array(0),
      });
      appendLink(`/v1/teams/${s.teamId}/links`, ghostMember.bytes);
      const ghostMemberRefusal = await refused(s.bob, show, /team \S+ does not verify/);

      s.honest();
      const r = await honestly(s.bob, show, [ghostDevice, substitutedKey, ghostMemberRefusal]);
      const members = (JSON.parse(r.stdout) as Shown).memberList;
      assert.deepEqual(members.map((x) => x.name).sort(), ['alice', 'bob']);
      const a = members.find((x) => x.principalId === s.aliceId);
      assert.equal(a?.devices.length, 1, 'alice has her one device, no ghost');
    } finally {
      s.honest();
      cleanup(mallory);
    }
  });

  it('class 2: a key box of another device, team or generation is refused (exit 5)', async () => {
    const carol = tempDir('carol');
    try {
      // carol (through the proxy too) joins core; bob also joins a second team, "side".
      ok(await hush(carol, ['init', '--name', 'carol', '--server', s.proxy.url]), 'carol');
      const invite = ok(await hush(s.alice, ['team', 'invite', 'core']), 'invite');
      ok(await hush(carol, ['join', invite.stdout.trim()]), 'carol joins');
      const sideId = ok(await hush(s.alice, ['team', 'create', 'side']), 'side').stdout.trim();
      const sideInvite = ok(await hush(s.alice, ['team', 'invite', 'side']), 'side invite');
      const boxes = new Map<string, Boxes>();
      s.proxy.tamper = (m, p, body) => {
        if (m === 'GET' && p.endsWith('/keyboxes')) boxes.set(p, body as Boxes);
        return undefined;
      };
      // bob's acceptance carries the box of the side key he seals to his own device.
      let bobSide: string | undefined;
      s.proxy.tamperRequest = (m, p, body) => {
        if (m === 'POST' && p === `/v1/teams/${sideId}/links`)
          bobSide = (JSON.parse(body.toString()) as { keyBoxes: string[] }).keyBoxes[0];
        return undefined;
      };
      ok(await hush(s.bob, ['join', sideInvite.stdout.trim()]), 'bob joins side');
      ok(await hush(s.bob, show), 'bob pins core');
      ok(await hush(s.alice, ['team', 'rotate', 'core']), 'rotate to generation 2');
      const corePath = `/v1/teams/${s.teamId}/keyboxes`;
      ok(await hush(carol, show), 'carol fetches her box of generation 2');
      const carolBox = boxes.get(corePath)?.keyBoxes.find((k) => k.generation === 2)?.box;
      assert.ok(bobSide, "recorded bob's side box");
      assert.ok(carolBox, `recorded carol's box: ${[...boxes.keys()].join(', ')}`);

      const serve = (box: (own: Boxes) => string) => {
        s.proxy.tamper = (m, p, body) => {
          if (m !== 'GET' || p !== corePath) return undefined;
          const own = body as Boxes;
          return {
            keyBoxes: own.keyBoxes.map((k) => (k.generation === 2 ? { ...k, box: box(own) } : k)),
          };
        };
      };
      const bad = /a key box from the relay does not verify/;
      const sideBox = bobSide;
      serve(() => carolBox);
      const otherDevice = await refused(s.bob, show, bad, { advance: true });
      serve(() => sideBox);
      const otherTeam = await refused(s.bob, show, bad, { advance: true });
      serve((own) => own.keyBoxes.find((k) => k.generation === 1)?.box ?? '');
      const otherGeneration = await refused(s.bob, show, bad, { advance: true });
      for (const r of [otherDevice, otherTeam, otherGeneration])
        assert.ok(![...r.facts].some((f) => f.startsWith(`team ${s.teamId} key 2 `)), 'no key 2');

      s.honest();
      await honestly(s.bob, show, [otherDevice, otherTeam, otherGeneration]);
      assert.equal((await shown(s.bob)).generation, 2);
    } finally {
      s.honest();
      cleanup(carol);
    }
  });

  it('class 13: a key box with a key other than the committed one, or an envelope re-signed with another commitment, is refused (exit 5)', async () => {
    ok(await hush(s.bob, show), 'bob is up to date');
    const generation = (await shown(s.alice)).generation + 1;
    ok(await hush(s.alice, ['team', 'rotate', 'core']), 'rotate');
    // The relay knows bob's public key, so it can seal him any key it likes, correctly bound
    // to his device, the team and the generation: only the chain's commitment stops it.
    const bobKeys = identityOf(s.bob).device;
    const relayKey = await sealKeyBox(
      b,
      fromBase64url(s.teamId),
      generation,
      generateTeamKey(b),
      bobKeys.id,
      bobKeys.kemPk,
    );
    s.proxy.tamper = (m, p, body) =>
      m === 'GET' && p === `/v1/teams/${s.teamId}/keyboxes`
        ? {
            keyBoxes: (body as Boxes).keyBoxes.map((k) =>
              k.generation === generation ? { ...k, box: toBase64url(relayKey) } : k,
            ),
          }
        : undefined;
    const keyBox = await refused(s.bob, show, /key box .*does not verify.*commit/, {
      advance: true,
    });
    s.honest();
    await honestly(s.bob, show, keyBox);
    assert.equal((await shown(s.bob)).generation, generation);

    // An author's envelope whose header commits to another content key than the one it was
    // sealed under (the "opens under two keys" trick), signed by alice's own device.
    const text = 'committed to one key only';
    ok(await hush(s.alice, ['send', 'core', text]), 'send');
    const aliceSeed = identityOf(s.alice).device.sigSeed;
    const otherCommit = b.randomBytes(32);
    const forged = new Map<string, string>();
    const install = () =>
      (s.proxy.tamper = (m, p, body) => {
        if (m !== 'GET' || p !== `/v1/teams/${s.teamId}/objects`) return undefined;
        const page = body as { objects: { envelope: string; collection: number }[] };
        return {
          ...page,
          objects: page.objects.map((o) => ({
            ...o,
            envelope: forged.get(o.envelope) ?? o.envelope,
          })),
        };
      });
    // Signed up front: the tamper hook is synchronous.
    for (const o of await pendingObjects(s, s.bob, s.teamId))
      forged.set(
        o.envelope,
        await resign(o.envelope, (h) => ({ ...h, keyCommit: otherCommit }), aliceSeed),
      );
    install();
    const commitment = await refused(
      s.bob,
      ['inbox'],
      /team object \S+ does not verify: content key does not match the commitment/,
      { secrets: [text] },
    );
    s.honest();
    const r = await honestly(s.bob, ['inbox', '--json'], commitment);
    assert.ok((JSON.parse(r.stdout) as { text: string }[]).some((x) => x.text === text));
  });
});
