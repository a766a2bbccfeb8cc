import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChainError, type ChainFailure } from '../src/chain/errors.js';
import { parseLink } from '../src/chain/link.js';
import { PrincipalState } from '../src/chain/principal.js';
import { principalCodec } from '../src/chain/principal-links.js';
import { inviteKeys, newInviteToken } from '../src/invite.js';
import { generateDevice } from '../src/keys.js';
import { backends } from './backends.js';
import { World } from './world.js';

async function rejects(p: Promise<unknown>, reason: ChainFailure): Promise<void> {
  await assert.rejects(
    p,
    (e: unknown) => e instanceof ChainError && e.reason === reason,
    `expected ${reason}`,
  );
}

for (const b of backends) {
  describe(`principal chain (${b.name})`, () => {
    it('verifies genesis, add-device with countersignature, recovery and revocation', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const laptop = await w.addDevice(alice);
      await w.addRecovery(alice, laptop);
      await w.appendPrincipal(
        alice,
        await w.principalLink(alice, { type: 'revoke-device', deviceId: alice.device.id }, laptop),
      );
      const again = await PrincipalState.verify(b, alice.links, alice.id);
      assert.equal(again.seq, 3);
      assert.deepEqual(
        again
          .activeDevices()
          .map((d) => d.kind)
          .sort(),
        ['device', 'recovery'],
      );
      assert.equal(again.deviceAt(alice.device.id, w.clock + 1), undefined);
      assert.ok(
        again.deviceAt(alice.device.id, w.clock - 2000),
        'a revoked device stays valid for links before its revocation',
      );
    });

    it('parse then serialize is the identity for every link', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      await w.addDevice(alice);
      for (const bytes of alice.links) {
        const l = await parseLink(b, principalCodec, bytes);
        assert.deepEqual(l.bytes, bytes);
      }
    });

    it('rejects a chain checked against another principal id', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const bob = await w.person('bob');
      await rejects(PrincipalState.verify(b, alice.links, bob.id), 'wrong-chain');
    });

    it('rejects an add-device without the new device countersignature', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const d = await generateDevice(b);
      const other = await generateDevice(b);
      const l = await w.principalLink(
        alice,
        { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
        alice.device,
        other.sigSeed,
      );
      await rejects(alice.state.apply(b, l.bytes), 'bad-signature');
    });

    it('rejects a link signed by a device of another principal (ghost device)', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const mallory = await generateDevice(b);
      const d = await generateDevice(b);
      const l = await w.principalLink(
        alice,
        { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
        mallory,
        d.sigSeed,
      );
      await rejects(alice.state.apply(b, l.bytes), 'unknown-signer');
    });

    it('rejects a bad previous hash, a wrong sequence number and time going backwards', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const first = await w.principalLink(alice, {
        type: 'revoke-device',
        deviceId: alice.device.id,
      });
      await w.addDevice(alice);
      await rejects(alice.state.apply(b, first.bytes), 'bad-seq');
      const next = await w.principalLink(alice, {
        type: 'revoke-device',
        deviceId: alice.device.id,
      });
      const bytes = next.bytes.slice();
      // prev starts after u32 len, u8 version, u8 kind, chainId(32), u64 seq
      bytes[4 + 2 + 32 + 8] = (bytes[4 + 2 + 32 + 8] as number) ^ 1;
      await rejects(alice.state.apply(b, bytes), 'bad-prev');
      const { principalLink } = await import('../src/chain/build.js');
      const early = await principalLink(
        b,
        alice.state,
        alice.device,
        { type: 'revoke-device', deviceId: alice.device.id },
        { time: 5 },
      );
      await rejects(alice.state.apply(b, early.bytes), 'time-order');
    });

    it('refuses to revoke the last device, and lets an agent have exactly one device', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      await rejects(
        alice.state.apply(
          b,
          (await w.principalLink(alice, { type: 'revoke-device', deviceId: alice.device.id }))
            .bytes,
        ),
        'invalid',
      );
      const agent = await w.person('agent', { agent: true, sponsor: alice.id });
      const d = await generateDevice(b);
      const l = await w.principalLink(
        agent,
        { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
        agent.device,
        d.sigSeed,
      );
      await rejects(agent.state.apply(b, l.bytes), 'not-authorized');
      assert.deepEqual(agent.state.sponsor, alice.id);
    });

    it('links a device through an invite: valid once, refused when expired or reused', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const token = newInviteToken(b, 'device', alice.id);
      const ik = await inviteKeys(b, token);
      const inv = await w.principalLink(alice, {
        type: 'device-invite',
        inviteSigPk: ik.sigPk,
        expires: w.clock + 60_000,
      });
      await w.appendPrincipal(alice, inv);
      const phone = await generateDevice(b);
      const accept = await w.principalLink(
        alice,
        {
          type: 'accept-device-invite',
          inviteId: ik.inviteId,
          sigPk: phone.sigPk,
          kemPk: phone.kemPk,
        },
        phone,
        ik.sigSeed,
      );
      const snapshot = await PrincipalState.verify(b, alice.links, alice.id);
      await w.appendPrincipal(alice, accept);
      assert.ok(alice.state.deviceAt(phone.id, w.clock));

      const tablet = await generateDevice(b);
      const reuse = await w.principalLink(
        alice,
        {
          type: 'accept-device-invite',
          inviteId: ik.inviteId,
          sigPk: tablet.sigPk,
          kemPk: tablet.kemPk,
        },
        tablet,
        ik.sigSeed,
      );
      await rejects(alice.state.apply(b, reuse.bytes), 'invite-used');

      const { principalLink } = await import('../src/chain/build.js');
      const late = await principalLink(
        b,
        snapshot,
        phone,
        {
          type: 'accept-device-invite',
          inviteId: ik.inviteId,
          sigPk: phone.sigPk,
          kemPk: phone.kemPk,
        },
        { time: w.clock + 120_000, second: ik.sigSeed },
      );
      await rejects(snapshot.apply(b, late.bytes), 'invite-expired');
      const forged = await principalLink(
        b,
        snapshot,
        phone,
        {
          type: 'accept-device-invite',
          inviteId: ik.inviteId,
          sigPk: phone.sigPk,
          kemPk: phone.kemPk,
        },
        { time: w.clock + 1, second: phone.sigSeed },
      );
      await rejects(snapshot.apply(b, forged.bytes), 'bad-signature');
    });

    it('rejects every single-bit flip of a link', async () => {
      const w = new World(b);
      const alice = await w.person('alice');
      const before = await PrincipalState.verify(b, alice.links, alice.id);
      const d = await generateDevice(b);
      const l = await w.principalLink(
        alice,
        { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
        alice.device,
        d.sigSeed,
      );
      for (let bit = 0; bit < l.bytes.length * 8; bit += b.name === 'node' ? 1 : 7) {
        const t = l.bytes.slice();
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        await assert.rejects(before.apply(b, t), ChainError);
      }
      await before.apply(b, l.bytes);
    });
  });
}
