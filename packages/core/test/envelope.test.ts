import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../src/bytes.js';
import { openDirectEnvelope, sealDirectEnvelope } from '../src/envelope/direct.js';
import { envelopeSignatureMessage } from '../src/envelope/content.js';
import { EnvelopeError, type EnvelopeFailure } from '../src/envelope/errors.js';
import {
  COLLECTION,
  FLAG_TOMBSTONE,
  decodeHeader,
  encodeEnvelope,
  encodeHeader,
  splitEnvelope,
  type EnvelopeHeader,
} from '../src/envelope/header.js';
import { openTeamEnvelope, sealTeamEnvelope, type TeamOpenContext } from '../src/envelope/team.js';
import type { TeamKey } from '../src/keys.js';
import { backends } from './backends.js';
import { Team, World } from './world.js';

async function rejects(p: Promise<unknown>, reason: EnvelopeFailure): Promise<void> {
  await assert.rejects(
    p,
    (e: unknown) => e instanceof EnvelopeError && e.reason === reason,
    `expected ${reason}`,
  );
}

/** Re-signs a modified header with the author's key, as a malicious member could. */
async function resign(
  b: (typeof backends)[number],
  envelope: Uint8Array,
  edit: (h: EnvelopeHeader) => EnvelopeHeader,
  seed: Uint8Array,
) {
  const parts = splitEnvelope(envelope);
  const hb = encodeHeader(edit(decodeHeader(parts.header)));
  const msg = await envelopeSignatureMessage(b, hb, parts.ciphertext);
  return encodeEnvelope(hb, parts.ciphertext, await b.ed25519Sign(seed, msg));
}

for (const b of backends) {
  describe(`team envelope (${b.name})`, async () => {
    const w = new World(b);
    const alice = await w.person('alice');
    const bob = await w.person('bob');
    const team = await Team.create(w, alice);
    await team.add(alice, bob);
    const ctx = (extra: Partial<TeamOpenContext> = {}): TeamOpenContext => ({
      teamId: team.state.id,
      authorize: (h) => team.state.authorizeObject(h, w.resolve),
      keyFor: (g) => team.keys[g - 1] as TeamKey,
      ...extra,
    });
    const seal = (body = utf8('deploy at 5pm'), extra = {}) =>
      sealTeamEnvelope(b, {
        teamId: team.state.id,
        generation: 1,
        chainSeq: team.state.seq,
        key: team.key,
        author: bob.id,
        device: bob.device,
        collection: COLLECTION.message,
        body,
        ...extra,
      });

    it('round-trips any body and pads its size', async () => {
      for (const n of [0, 1, 59, 60, 61, 1000, 70_000]) {
        const body = b.randomBytes(n);
        const { envelope, header } = await seal(body);
        const opened = await openTeamEnvelope(
          b,
          envelope,
          ctx({
            expect: { objectId: header.objectId, objectVersion: 1, collection: COLLECTION.message },
          }),
        );
        assert.deepEqual(opened.body, body);
        assert.deepEqual(encodeHeader(opened.header), splitEnvelope(envelope).header);
      }
      const small = splitEnvelope((await seal(utf8('a'))).envelope).ciphertext.length;
      const other = splitEnvelope((await seal(utf8('a somewhat longer message'))).envelope)
        .ciphertext.length;
      assert.equal(small, other, 'short bodies share one padded size');
    });

    it('rejects every single-bit flip of the envelope', async () => {
      const { envelope } = await seal(utf8('x'));
      const step = b.name === 'node' ? 1 : 13;
      for (let bit = 0; bit < envelope.length * 8; bit += step) {
        const t = envelope.slice();
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        await assert.rejects(openTeamEnvelope(b, t, ctx()), EnvelopeError);
      }
    });

    it('names the failing check: version, context, authorization, signature, key, commitment', async () => {
      const { envelope, header } = await seal();
      await rejects(openTeamEnvelope(b, envelope, ctx({ teamId: new Uint8Array(32) })), 'context');
      await rejects(
        openTeamEnvelope(b, envelope, ctx({ expect: { objectVersion: 2 } })),
        'context',
      );
      await rejects(
        openTeamEnvelope(b, envelope, ctx({ expect: { collection: COLLECTION.secret } })),
        'context',
      );
      await rejects(
        openTeamEnvelope(b, envelope, ctx({ expect: { blindIndex: new Uint8Array(32) } })),
        'context',
      );
      await rejects(
        openTeamEnvelope(b, envelope, ctx({ keyFor: () => b.randomBytes(32) as TeamKey })),
        'key-commitment',
      );
      await rejects(
        openTeamEnvelope(
          b,
          envelope,
          ctx({
            keyFor: () => {
              throw new Error('none');
            },
          }),
        ),
        'no-key',
      );
      // downgrade: rewrite the version, re-signed by the author, is still refused
      const parts = splitEnvelope(envelope);
      const hb = parts.header.slice();
      hb[0] = 2;
      await rejects(
        openTeamEnvelope(b, encodeEnvelope(hb, parts.ciphertext, parts.signature), ctx()),
        'version',
      );
      // a re-signed header that moves the object (other id) fails to decrypt: the key and AAD bind it
      const moved = await resign(
        b,
        envelope,
        (h) => ({ ...h, objectId: new Uint8Array(16) }),
        bob.device.sigSeed,
      );
      await rejects(openTeamEnvelope(b, moved, ctx()), 'key-commitment');
      const redated = await resign(
        b,
        envelope,
        (h) => ({ ...h, createdAt: h.createdAt + 1 }),
        bob.device.sigSeed,
      );
      await rejects(openTeamEnvelope(b, redated, ctx()), 'decrypt');
      // signed by another device than the header names
      const forged = await resign(b, envelope, (h) => h, alice.device.sigSeed);
      await rejects(openTeamEnvelope(b, forged, ctx()), 'signature');
      assert.ok(header);
    });

    it('refuses a tombstone with a body, on seal and on open', async () => {
      await assert.rejects(seal(utf8('x'), { flags: FLAG_TOMBSTONE }), /empty body/);
      const { envelope } = await seal(new Uint8Array(0), { flags: FLAG_TOMBSTONE });
      const opened = await openTeamEnvelope(b, envelope, ctx());
      assert.equal(opened.header.flags, FLAG_TOMBSTONE);
    });

    it('refuses an object by a non-member, even under a valid key', async () => {
      const carol = await w.person('carol');
      const { envelope } = await sealTeamEnvelope(b, {
        teamId: team.state.id,
        generation: 1,
        chainSeq: team.state.seq,
        key: team.key,
        author: carol.id,
        device: carol.device,
        collection: COLLECTION.message,
        body: utf8('hi'),
      });
      await rejects(openTeamEnvelope(b, envelope, ctx()), 'not-authorized');
    });

    it('never leaks key material or plaintext into error messages', async () => {
      const secret = 'SUPER-SECRET-VALUE-123';
      const { envelope } = await seal(utf8(secret));
      try {
        await openTeamEnvelope(b, envelope, ctx({ keyFor: () => b.randomBytes(32) as TeamKey }));
        assert.fail('must throw');
      } catch (e) {
        const text = `${(e as Error).message} ${String((e as Error).cause ?? '')}`;
        assert.ok(!text.includes(secret));
        assert.ok(!text.includes(Buffer.from(team.key).toString('hex')));
      }
    });
  });

  describe(`direct envelope (${b.name})`, async () => {
    const w = new World(b);
    const alice = await w.person('alice');
    await w.addDevice(alice);
    const bob = await w.person('bob');
    const carol = await w.person('carol');
    const authorize = (h: EnvelopeHeader) => {
      const d = w.resolve(h.author)?.deviceAt(h.authorDevice, h.createdAt);
      if (!d) throw new Error('unknown device');
      return d.sigPk;
    };
    const seal = () =>
      sealDirectEnvelope(b, {
        recipients: [bob.id],
        devices: w.devicesOf(bob, alice),
        author: alice.id,
        device: alice.device,
        collection: COLLECTION.message,
        body: utf8('ping'),
      });

    it("opens for every recipient device and the sender's own devices", async () => {
      const { envelope } = await seal();
      for (const [p, d] of [
        [bob, bob.device],
        [alice, alice.devices[1]],
        [alice, alice.device],
      ] as const) {
        if (!d) throw new Error('device');
        const r = await openDirectEnvelope(b, envelope, {
          me: { id: d.id, kemSk: d.kemSk, principal: p.id },
          authorize,
        });
        assert.equal(new TextDecoder().decode(r.body), 'ping');
      }
    });

    it('refuses a non-recipient, a missing wrap, a swapped wrap and every bit flip', async () => {
      const { envelope } = await seal();
      await rejects(
        openDirectEnvelope(b, envelope, {
          me: { id: carol.device.id, kemSk: carol.device.kemSk, principal: carol.id },
          authorize,
        }),
        'context',
      );
      const other = await seal();
      const swapped = await resign(
        b,
        envelope,
        (h) => ({
          ...h,
          direct: {
            recipients: h.direct?.recipients ?? [],
            wraps: decodeHeader(splitEnvelope(other.envelope).header).direct?.wraps ?? [],
          },
        }),
        alice.device.sigSeed,
      );
      await rejects(
        openDirectEnvelope(b, swapped, {
          me: { id: bob.device.id, kemSk: bob.device.kemSk, principal: bob.id },
          authorize,
        }),
        'no-key',
      );
      const stripped = await resign(
        b,
        envelope,
        (h) => ({ ...h, direct: { recipients: h.direct?.recipients ?? [], wraps: [] } }),
        alice.device.sigSeed,
      );
      await rejects(
        openDirectEnvelope(b, stripped, {
          me: { id: bob.device.id, kemSk: bob.device.kemSk, principal: bob.id },
          authorize,
        }),
        'no-key',
      );
      for (let bit = 0; bit < envelope.length * 8; bit += b.name === 'node' ? 3 : 29) {
        const t = envelope.slice();
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        await assert.rejects(
          openDirectEnvelope(b, t, {
            me: { id: bob.device.id, kemSk: bob.device.kemSk, principal: bob.id },
            authorize,
          }),
          EnvelopeError,
        );
      }
    });
  });
}
