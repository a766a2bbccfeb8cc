import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../src/bytes.js';
import { ChainError, type ChainFailure } from '../src/chain/errors.js';
import { checkAgainstPin, pinOf } from '../src/chain/pin.js';
import { ROLE } from '../src/chain/roles.js';
import { TeamState } from '../src/chain/team.js';
import { walkBack } from '../src/chain/walk-back.js';
import { COLLECTION } from '../src/envelope/header.js';
import { inviteKeys, newInviteToken } from '../src/invite.js';
import { openKeyBox, sealKeyBox } from '../src/keybox.js';
import { generateDevice } from '../src/keys.js';
import { openTeamField } from '../src/team-key.js';
import { backends } from './backends.js';
import { Team, World } from './world.js';

async function rejects(p: Promise<unknown>, reason: ChainFailure): Promise<void> {
  await assert.rejects(
    p,
    (e: unknown) => e instanceof ChainError && e.reason === reason,
    `expected ${reason}`,
  );
}

async function setup(b: (typeof backends)[number]) {
  const w = new World(b);
  const alice = await w.person('alice');
  const bob = await w.person('bob');
  const carol = await w.person('carol');
  const team = await Team.create(w, alice);
  return { w, alice, bob, carol, team };
}

for (const b of backends) {
  describe(`team chain (${b.name})`, () => {
    it('creates a team whose id is the create link hash and whose name opens with generation 1', async () => {
      const { w, alice, team } = await setup(b);
      const again = await TeamState.verify(b, team.links, w.resolve, team.state.id);
      assert.equal(again.roleOf(alice.id), ROLE.owner);
      const name = await openTeamField(b, team.key, 'team-name', new Uint8Array(32), again.nameCt);
      assert.equal(new TextDecoder().decode(name), 'platform');
      const owner = again.members.get(Buffer.from(alice.id).toString('hex'));
      const ownerName = await openTeamField(
        b,
        team.key,
        'member-name',
        alice.id,
        owner?.nameCt ?? new Uint8Array(0),
      );
      assert.equal(new TextDecoder().decode(ownerName), 'alice');
      const key = await openKeyBox(
        b,
        team.boxes[0] as Uint8Array,
        {
          teamId: again.id,
          generation: 1,
          recipientId: alice.device.id,
          commitment: again.current.keyCommit,
        },
        alice.device.kemSk,
      );
      assert.deepEqual(key, team.key);
    });

    it('applies invite and acceptance signed with the invite key; refuses reuse, expiry and a forged acceptance', async () => {
      const { w, alice, bob, carol, team } = await setup(b);
      const token = newInviteToken(b, 'team', team.state.id);
      const ik = await inviteKeys(b, token);
      const inv = {
        type: 'invite',
        inviteSigPk: ik.sigPk,
        inviteKemPk: ik.kemPk,
        role: ROLE.writer,
        expires: w.clock + 60_000,
      } as const;
      await team.append(alice, inv);
      const snapshot = await TeamState.verify(b, team.links, w.resolve);
      // The token holder can open the key box sealed to the invite.
      const box = await sealKeyBox(b, team.state.id, 1, team.key, ik.inviteId, ik.kemPk);
      assert.deepEqual(
        await openKeyBox(
          b,
          box,
          {
            teamId: team.state.id,
            generation: 1,
            recipientId: ik.inviteId,
            commitment: team.state.current.keyCommit,
          },
          ik.kemSk,
        ),
        team.key,
      );

      const acceptBody = (p: typeof bob) =>
        ({
          type: 'accept-invite',
          inviteId: ik.inviteId,
          pin: pinOf(p.state),
          nameCt: new Uint8Array(0),
        }) as const;
      const forged = await team.link(bob, acceptBody(bob), bob.device.sigSeed);
      await rejects(team.state.apply(b, forged.bytes, w.resolve), 'bad-signature');
      await team.append(bob, acceptBody(bob), ik.sigSeed);
      assert.equal(team.state.roleOf(bob.id), ROLE.writer);
      await rejects(
        team.state.apply(
          b,
          (await team.link(carol, acceptBody(carol), ik.sigSeed)).bytes,
          w.resolve,
        ),
        'invite-used',
      );

      const { teamLink } = await import('../src/chain/build.js');
      const late = await teamLink(b, snapshot, carol.id, carol.device, acceptBody(carol), {
        time: w.clock + 120_000,
        second: ik.sigSeed,
      });
      await rejects(snapshot.apply(b, late.bytes, w.resolve), 'invite-expired');
    });

    it('enforces role rights: readers and writers cannot add members, admins cannot touch owners', async () => {
      const { w, alice, bob, carol, team } = await setup(b);
      await team.add(alice, bob, ROLE.reader);
      const dave = await w.person('dave');
      const attempt = async (by: typeof bob, body: Parameters<Team['link']>[1]) =>
        team.state.apply(b, (await team.link(by, body)).bytes, w.resolve);
      const addCarol = {
        type: 'add-member',
        member: carol.id,
        role: ROLE.writer,
        pin: pinOf(carol.state),
        nameCt: new Uint8Array(0),
      } as const;
      await rejects(attempt(bob, addCarol), 'not-authorized');
      await team.append(alice, { type: 'set-role', member: bob.id, role: ROLE.admin });
      await rejects(attempt(bob, { ...addCarol, role: ROLE.owner }), 'not-authorized');
      await team.append(bob, addCarol);
      await rejects(
        attempt(bob, { type: 'set-role', member: alice.id, role: ROLE.writer }),
        'not-authorized',
      );
      await rejects(attempt(bob, { type: 'remove-member', member: alice.id }), 'not-authorized');
      await rejects(
        attempt(carol, {
          type: 'add-member',
          member: dave.id,
          role: ROLE.reader,
          pin: pinOf(dave.state),
          nameCt: new Uint8Array(0),
        }),
        'not-authorized',
      );
      await rejects(attempt(alice, { type: 'remove-member', member: alice.id }), 'invalid');
      await rejects(
        attempt(carol, { type: 'rename', nameCt: new Uint8Array(40) }),
        'not-authorized',
      );
    });

    it('requires a rotation right after removing another member, to exactly the remaining devices', async () => {
      const { w, alice, bob, carol, team } = await setup(b);
      await team.add(alice, bob);
      await team.add(alice, carol);
      await team.append(alice, { type: 'remove-member', member: bob.id });
      // Anything but the rotation is refused, and a chain that ends here is incomplete.
      await rejects(
        team.state.apply(
          b,
          (await team.link(alice, { type: 'rename', nameCt: new Uint8Array(40) })).bytes,
          w.resolve,
        ),
        'removal-without-rotation',
      );
      assert.throws(
        () => team.state.assertComplete(),
        (e: unknown) => e instanceof ChainError && e.reason === 'removal-without-rotation',
      );
      // A rotation that still boxes the new key to the removed member's device is a ghost recipient.
      const r = await team.rotationFor();
      const ghost = {
        ...r.body,
        recipients: [...(r.body as { recipients: Uint8Array[] }).recipients, bob.device.id].sort(
          (x, y) => Buffer.compare(x, y),
        ),
      };
      await rejects(
        team.state.apply(b, (await team.link(alice, ghost as typeof r.body)).bytes, w.resolve),
        'ghost-recipient',
      );
      await team.rotate(alice);
      assert.equal(team.state.current.generation, 2);
      assert.equal(team.state.roleOf(bob.id), undefined);
      assert.deepEqual(
        team.state.current.recipients.map(toHex).sort(),
        w
          .devicesOf(alice, carol)
          .map((d) => toHex(d.id))
          .sort(),
      );
      await TeamState.verify(b, team.links, w.resolve);
      await rejects(
        TeamState.verify(b, team.links.slice(0, -1), w.resolve),
        'removal-without-rotation',
      );
    });

    it('walks back from the newest key through every generation, checking commitments', async () => {
      const { alice, bob, team } = await setup(b);
      await team.add(alice, bob);
      await team.rotate(alice);
      await team.remove(alice, bob);
      assert.equal(team.state.current.generation, 3);
      for (let g = 1; g <= 3; g++)
        assert.deepEqual(
          await walkBack(b, team.state, { generation: 3, key: team.key }, g),
          team.keys[g - 1],
        );
      await assert.rejects(
        walkBack(b, team.state, { generation: 3, key: team.keys[0] as typeof team.key }, 1),
      );
    });

    it('authorizes objects by role and generation at their chain position', async () => {
      const { w, alice, bob, carol, team } = await setup(b);
      await team.add(alice, bob, ROLE.reader);
      const agent = await w.person('agent', { agent: true, sponsor: alice.id });
      await team.add(alice, agent, ROLE.agent);
      const header = (who: typeof bob, collection: number, chainSeq = team.state.seq) =>
        ({
          team: {
            teamId: team.state.id,
            generation: team.state.generationAt(chainSeq)?.generation ?? 0,
            chainSeq,
          },
          author: who.id,
          authorDevice: who.device.id,
          collection,
          createdAt: w.clock,
        }) as unknown as Parameters<TeamState['authorizeObject']>[0];
      assert.deepEqual(
        team.state.authorizeObject(header(alice, COLLECTION.secret), w.resolve),
        alice.device.sigPk,
      );
      assert.throws(
        () => team.state.authorizeObject(header(bob, COLLECTION.message), w.resolve),
        ChainError,
      );
      assert.ok(team.state.authorizeObject(header(agent, COLLECTION.message), w.resolve));
      assert.throws(
        () => team.state.authorizeObject(header(agent, COLLECTION.secret), w.resolve),
        ChainError,
      );
      assert.throws(
        () => team.state.authorizeObject(header(carol, COLLECTION.message), w.resolve),
        ChainError,
      );
      const wrongGen = {
        ...header(alice, COLLECTION.message),
        team: { teamId: team.state.id, generation: 2, chainSeq: team.state.seq },
      };
      assert.throws(
        () =>
          team.state.authorizeObject(
            wrongGen as typeof wrongGen & Parameters<TeamState['authorizeObject']>[0],
            w.resolve,
          ),
        (e: unknown) => e instanceof ChainError && e.reason === 'bad-generation',
      );
    });

    it('detects rollback and fork against a pin', async () => {
      const { w, alice, bob, team } = await setup(b);
      await team.add(alice, bob);
      const pin = pinOf(team.state);
      await rejects(
        Promise.resolve().then(async () =>
          checkAgainstPin(
            (await TeamState.verify(b, team.links.slice(0, 1), w.resolve)).hashes,
            pin,
          ),
        ),
        'rollback',
      );
      const fork = await Team.create(w, alice);
      const forkState = await TeamState.verify(b, team.links.slice(0, 1), w.resolve);
      await forkState.apply(
        b,
        (
          await (async () => {
            const { teamLink } = await import('../src/chain/build.js');
            return teamLink(
              b,
              forkState,
              alice.id,
              alice.device,
              { type: 'rename', nameCt: new Uint8Array(40) },
              { time: w.tick() },
            );
          })()
        ).bytes,
        w.resolve,
      );
      assert.throws(
        () => checkAgainstPin(forkState.hashes, pin),
        (e: unknown) => e instanceof ChainError && e.reason === 'fork',
      );
      assert.ok(fork);
      checkAgainstPin(team.state.hashes, pin);
    });

    it("rejects a link signed by a device that is not the author's (substituted key)", async () => {
      const { w, alice, bob, team } = await setup(b);
      const mallory = await generateDevice(b);
      const l = await team.link(
        alice,
        {
          type: 'add-member',
          member: bob.id,
          role: ROLE.writer,
          pin: pinOf(bob.state),
          nameCt: new Uint8Array(0),
        },
        undefined,
        mallory,
      );
      await rejects(team.state.apply(b, l.bytes, w.resolve), 'unknown-signer');
    });
  });
}

for (const b of backends) {
  describe(`chain edge rules (${b.name})`, () => {
    it('refuses a device used for a time before it was added', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const laptop = await w.addDevice(alice);
      assert.equal(alice.state.deviceAt(laptop.id, w.clock - 5000), undefined);
      assert.ok(alice.state.deviceAt(laptop.id, w.clock));
    });

    it('refuses a rotate link whose previous-key ciphertext is not exactly 48 bytes', async () => {
      const { w, alice, team } = await setup(b);
      const r = await team.rotationFor();
      const body = { ...(r.body as { prevKeyCt: Uint8Array }), prevKeyCt: new Uint8Array(10) };
      const l = await team.link(alice, body as typeof r.body);
      await rejects(team.state.apply(b, l.bytes, w.resolve), 'encoding');
    });

    it('refuses to write an encrypted name its readers would reject', async () => {
      const { alice, team } = await setup(b);
      await assert.rejects(
        team.link(alice, { type: 'rename', nameCt: new Uint8Array(5000) }),
        /longer than/,
      );
    });
  });
}
