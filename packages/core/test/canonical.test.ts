/**
 * Canonicality: for every parser, any input it accepts re-serializes to exactly the same
 * bytes. Inputs are valid encodings with random mutations (bit flips, inserted, deleted and
 * overwritten bytes), so most are rejected and the accepted ones probe the edges.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nodeBackend as b } from '../src/backend/node.js';
import { parseLink, serializeLink, type BodyCodec } from '../src/chain/link.js';
import { principalCodec } from '../src/chain/principal-links.js';
import { teamCodec } from '../src/chain/team-links.js';
import { fromBase64url, toBase64url } from '../src/encoding/base64url.js';
import { sealDirectEnvelope } from '../src/envelope/direct.js';
import { COLLECTION, decodeHeader, encodeHeader, splitEnvelope } from '../src/envelope/header.js';
import { sealTeamEnvelope } from '../src/envelope/team.js';
import { formatInviteToken, newInviteToken, parseInviteToken } from '../src/invite.js';
import { decodeKeyBox, encodeKeyBox, sealKeyBox } from '../src/keybox.js';
import { generateDevice } from '../src/keys.js';
import { generateTeamKey } from '../src/team-key.js';
import { Team, World } from './world.js';

type Mutation = { op: 'flip' | 'set' | 'insert' | 'delete'; at: number; value: number };
const mutations = fc.array(
  fc.record({
    op: fc.constantFrom('flip', 'set', 'insert', 'delete'),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  { minLength: 0, maxLength: 3 },
) as fc.Arbitrary<Mutation[]>;

function mutate(input: Uint8Array, ms: Mutation[]): Uint8Array {
  let x = Array.from(input);
  for (const m of ms) {
    const at = x.length === 0 ? 0 : m.at % x.length;
    if (m.op === 'flip' && x.length > 0) x[at] = (x[at] as number) ^ (1 << (m.value & 7));
    if (m.op === 'set' && x.length > 0) x[at] = m.value;
    if (m.op === 'insert') x = [...x.slice(0, at), m.value, ...x.slice(at)];
    if (m.op === 'delete') x = [...x.slice(0, at), ...x.slice(at + 1)];
  }
  return Uint8Array.from(x);
}

/** Asserts serialize(parse(x)) == x for every mutated x that parses. Returns how many parsed. */
async function canonical(
  seeds: Uint8Array[],
  parseThenSerialize: (x: Uint8Array) => Promise<Uint8Array> | Uint8Array,
  runs = 300,
): Promise<number> {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...seeds), mutations, async (seed, ms) => {
      const x = mutate(seed, ms);
      let out: Uint8Array;
      try {
        out = await parseThenSerialize(x);
      } catch {
        return;
      }
      accepted++;
      assert.deepEqual(out, x);
    }),
    { numRuns: runs },
  );
  return accepted;
}

describe('canonical encodings (parse then serialize is the identity)', async () => {
  const w = new World(b);
  const alice = await w.person('alice');
  await w.addDevice(alice);
  const bob = await w.person('bob');
  const team = await Team.create(w, alice);
  await team.add(alice, bob);
  await team.remove(alice, bob);

  const linkRoundTrip =
    <B>(codec: BodyCodec<B>) =>
    async (x: Uint8Array) =>
      serializeLink(codec, await parseLink(b, codec, x));

  it('principal links', async () => {
    assert.ok((await canonical(alice.links, linkRoundTrip(principalCodec))) > 0);
  });

  it('team links', async () => {
    assert.ok((await canonical(team.links, linkRoundTrip(teamCodec))) > 0);
  });

  it('envelope headers (team and direct)', async () => {
    const t = await sealTeamEnvelope(b, {
      teamId: team.state.id,
      generation: 2,
      chainSeq: team.state.seq,
      key: team.key,
      author: alice.id,
      device: alice.device,
      collection: COLLECTION.secret,
      blindIndex: b.randomBytes(32),
      body: new Uint8Array(5),
    });
    const d = await sealDirectEnvelope(b, {
      recipients: [bob.id],
      devices: w.devicesOf(alice, bob),
      author: alice.id,
      device: alice.device,
      collection: COLLECTION.snippet,
      body: new Uint8Array(5),
    });
    const seeds = [t.envelope, d.envelope].map((e) => splitEnvelope(e).header);
    assert.ok((await canonical(seeds, (x) => encodeHeader(decodeHeader(x)))) > 0);
  });

  it('key boxes', async () => {
    const dev = await generateDevice(b);
    const box = await sealKeyBox(b, team.state.id, 1, generateTeamKey(b), dev.id, dev.kemPk);
    assert.ok((await canonical([box], (x) => encodeKeyBox(decodeKeyBox(x)))) > 0);
  });

  it('invite tokens and base64url text', async () => {
    const token = new TextEncoder().encode(
      formatInviteToken(newInviteToken(b, 'team', team.state.id)),
    );
    const dec = new TextDecoder('utf-8', { fatal: true });
    // Surrounding whitespace is trimmed on purpose (pasted tokens); everything else must be exact.
    await canonical([token], (x) => {
      const s = dec.decode(x);
      if (s.trim() !== s) throw new Error('whitespace is trimmed, not part of the token');
      return new TextEncoder().encode(formatInviteToken(parseInviteToken(s)));
    });
    const text = new TextEncoder().encode(toBase64url(b.randomBytes(40)));
    assert.ok(
      (await canonical([text], (x) =>
        new TextEncoder().encode(toBase64url(fromBase64url(dec.decode(x)))),
      )) > 0,
    );
  });
});
