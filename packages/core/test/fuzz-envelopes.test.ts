/**
 * Fuzzing envelopes and key boxes (PROTOCOL.md 7 and 5.2): headers and whole envelopes
 * parse and re-serialize byte-identically or throw EnvelopeError; opening a team or direct
 * envelope, and opening a key box, succeeds only for the exact bytes that were sealed
 * (with the sealed body or key), and otherwise throws EnvelopeError or KeyBoxError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend as b } from '../src/backend/node.js';
import { blindIndex, indexKey } from '../src/blind-index.js';
import { equalBytes, utf8 } from '../src/bytes.js';
import { openDirectEnvelope, sealDirectEnvelope } from '../src/envelope/direct.js';
import { EnvelopeError } from '../src/envelope/errors.js';
import {
  COLLECTION,
  decodeHeader,
  encodeEnvelope,
  encodeHeader,
  FLAG_TOMBSTONE,
  splitEnvelope,
} from '../src/envelope/header.js';
import { openTeamEnvelope, sealTeamEnvelope } from '../src/envelope/team.js';
import { decodeKeyBox, encodeKeyBox, KeyBoxError, openKeyBox } from '../src/keybox.js';
import type { TeamKey } from '../src/keys.js';
import { keyCommitment } from '../src/team-key.js';
import { fuzzParser, isOneOf, mutatedFrom, sameBytes } from './fuzz-kit.js';
import { Team, World } from './world.js';

const envelopeError = (e: unknown) => e instanceof EnvelopeError;

describe('fuzz: envelopes and key boxes', async () => {
  const w = new World(b);
  const alice = await w.person('alice');
  await w.addDevice(alice);
  const bob = await w.person('bob');
  const team = await Team.create(w, alice);
  await team.add(alice, bob);
  await team.rotate(alice);

  const kvIndex = await blindIndex(
    b,
    await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'kv'),
    'prod',
    'API_KEY',
  );
  /** A team envelope by alice, at the head of the chain unless `extra` says otherwise. */
  const teamSeal = async (
    collection: (typeof COLLECTION)[keyof typeof COLLECTION],
    body: Uint8Array,
    extra: Partial<Parameters<typeof sealTeamEnvelope>[1]> = {},
  ) =>
    (
      await sealTeamEnvelope(b, {
        teamId: team.state.id,
        generation: team.state.current.generation,
        chainSeq: team.state.seq,
        key: team.key,
        author: alice.id,
        device: alice.device,
        collection,
        body,
        ...extra,
      })
    ).envelope;
  const teamSeeds = [
    await teamSeal(COLLECTION.message, utf8('hello')),
    await teamSeal(COLLECTION.snippet, new Uint8Array(300).fill(7)),
    // Under generation 1 at the start of the chain, a kv entry at version 3 ...
    await teamSeal(COLLECTION.kv, utf8('"v"'), {
      generation: 1,
      chainSeq: 0,
      key: team.keys[0] as TeamKey,
      blindIndex: kvIndex,
      objectVersion: 3,
    }),
    // ... and its tombstone at version 4.
    await teamSeal(COLLECTION.kv, new Uint8Array(0), {
      blindIndex: kvIndex,
      objectVersion: 4,
      flags: FLAG_TOMBSTONE,
    }),
  ];
  const directBodies = [utf8('just for bob'), new Uint8Array(0), new Uint8Array(2000).fill(1)];
  const directSeeds = await Promise.all(
    directBodies.map(
      async (body) =>
        (
          await sealDirectEnvelope(b, {
            recipients: [bob.id],
            devices: w.devicesOf(alice, bob),
            author: alice.id,
            device: alice.device,
            collection: COLLECTION.message,
            body,
          })
        ).envelope,
    ),
  );
  const envelopes = [...teamSeeds, ...directSeeds];

  it('headers: decode then encode is the identity, else an EnvelopeError', async () => {
    await fuzzParser({
      name: 'header',
      input: mutatedFrom(envelopes.map((e) => splitEnvelope(e).header)),
      parse: (x) => encodeHeader(decodeHeader(x)),
      accepted: (x, again) => sameBytes(again, x, 'header'),
      typed: envelopeError,
    });
  });

  it('envelopes: split, decode and re-assemble is the identity, else an EnvelopeError', async () => {
    await fuzzParser({
      name: 'envelope',
      input: mutatedFrom(envelopes),
      parse: (x) => {
        const p = splitEnvelope(x);
        return encodeEnvelope(encodeHeader(decodeHeader(p.header)), p.ciphertext, p.signature);
      },
      accepted: (x, again) => sameBytes(again, x, 'envelope'),
      typed: envelopeError,
    });
  });

  it('team envelopes open only as sealed, else an EnvelopeError', async () => {
    const opened = await Promise.all(teamSeeds.map((e) => openTeamEnvelope(b, e, teamContext())));
    await fuzzParser({
      name: 'team-envelope-open',
      input: mutatedFrom([...teamSeeds, ...directSeeds]),
      parse: (x) => openTeamEnvelope(b, x, teamContext()),
      accepted: (x, got) => {
        const i = teamSeeds.findIndex((s) => isOneOf(x, [s]));
        assert.ok(i >= 0, 'a changed team envelope opened');
        assert.ok(equalBytes(got.body, (opened[i] as { body: Uint8Array }).body));
      },
      typed: envelopeError,
    });
  });

  it('direct envelopes open only as sealed, else an EnvelopeError', async () => {
    const me = { id: bob.device.id, kemSk: bob.device.kemSk, principal: bob.id };
    const authorize = (h: { author: Uint8Array; authorDevice: Uint8Array; createdAt: number }) => {
      const k = w.resolve(h.author)?.deviceAt(h.authorDevice, h.createdAt)?.sigPk;
      if (!k) throw new Error('author device is not a device of its author');
      return k;
    };
    await fuzzParser({
      name: 'direct-envelope-open',
      input: mutatedFrom([...directSeeds, ...teamSeeds]),
      parse: (x) => openDirectEnvelope(b, x, { me, authorize }),
      accepted: (x, got) => {
        const i = directSeeds.findIndex((s) => isOneOf(x, [s]));
        assert.ok(i >= 0, 'a changed direct envelope opened');
        assert.ok(equalBytes(got.body, directBodies[i] as Uint8Array));
      },
      typed: envelopeError,
    });
  });

  function teamContext() {
    return {
      teamId: team.state.id,
      authorize: (h: Parameters<typeof team.state.authorizeObject>[0]) =>
        team.state.authorizeObject(h, w.resolve),
      keyFor: (g: number) => {
        const k = team.keys[g - 1];
        if (!k) throw new Error(`no key for generation ${g}`);
        return k;
      },
    };
  }

  const boxSeeds = team.boxes;
  it('key boxes: decode then encode is the identity, else a KeyBoxError', async () => {
    await fuzzParser({
      name: 'key-box',
      input: mutatedFrom(boxSeeds),
      parse: (x) => encodeKeyBox(decodeKeyBox(x)),
      accepted: (x, again) => sameBytes(again, x, 'key box'),
      typed: (e) => e instanceof KeyBoxError && e.reason === 'encoding',
    });
  });

  it("key boxes open only as sealed, for this device's own boxes, else a KeyBoxError", async () => {
    // Every box the team holds, opened as alice's first device: its own boxes open, every
    // other box is refused as addressed elsewhere (or, mutated, for any other reason).
    const device = alice.device;
    await fuzzParser({
      name: 'key-box-open',
      input: mutatedFrom(boxSeeds),
      parse: async (x) => {
        const box = decodeKeyBox(x);
        const key = team.keys[box.generation - 1];
        const commitment = key ? await keyCommitment(b, box.generation, key) : new Uint8Array(32);
        return openKeyBox(
          b,
          x,
          { teamId: team.state.id, generation: box.generation, recipientId: device.id, commitment },
          device.kemSk,
        );
      },
      accepted: (x, key) => {
        assert.ok(isOneOf(x, boxSeeds), 'a changed key box opened');
        const box = decodeKeyBox(x);
        assert.ok(equalBytes(box.recipientId, device.id));
        assert.ok(equalBytes(key, team.keys[box.generation - 1] as TeamKey));
      },
      typed: (e) => e instanceof KeyBoxError,
    });
  });
});
