/**
 * Generates vectors/*.json: one scenario per file, each with an `expect` class. Every file's
 * outcome is checked against the reference implementation before it is written, so a
 * generated file can never disagree with the code. Run with `npm run vectors` after any
 * format change, and commit the result with the PROTOCOL.md change.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBackend as b } from '../src/backend/node.js';
import { toHex, utf8 } from '../src/bytes.js';
import { principalLink, teamLink } from '../src/chain/build.js';
import { pinOf } from '../src/chain/pin.js';
import { ROLE } from '../src/chain/roles.js';
import { TeamState } from '../src/chain/team.js';
import { toBase64url as e } from '../src/encoding/base64url.js';
import { sealDirectEnvelope } from '../src/envelope/direct.js';
import {
  COLLECTION,
  decodeHeader,
  encodeEnvelope,
  encodeHeader,
  splitEnvelope,
  type EnvelopeHeader,
} from '../src/envelope/header.js';
import { sealTeamEnvelope } from '../src/envelope/team.js';
import { formatInviteToken, inviteKeys, newInviteToken } from '../src/invite.js';
import { sealKeyBox } from '../src/keybox.js';
import { generateDevice } from '../src/keys.js';
import { envelopeSignatureMessage } from '../src/envelope/content.js';
import { sealAll } from '../src/stream/all.js';
import { STREAM_SEALED_CHUNK_SIZE } from '../src/stream/format.js';
import { deriveStreamKey } from '../src/stream/key.js';
import { generateTeamKey, keyCommitment } from '../src/team-key.js';
import { blindIndex, indexKey } from '../src/blind-index.js';
import { encodeEntryBody, type EntryBody } from '../src/bodies/entry.js';
import { encodeFileManifest, type FileManifest } from '../src/bodies/manifest.js';
import { encodeMessageBody, type MessageBody } from '../src/bodies/message.js';
import { encodeSnippetBody, type SnippetBody } from '../src/bodies/snippet.js';
import { Writer } from '../src/encoding/canonical.js';
import { asTeamKey } from '../src/keys.js';
import { bodyJson, runVector, type Vector } from '../test/vector-model.js';
import { Team, World, type Person } from '../test/world.js';

const out = join(new URL('../../../../', import.meta.url).pathname, 'vectors');
const vectors = new Map<string, Vector>();
const add = (name: string, v: Vector) => {
  if (vectors.has(name)) throw new Error(`duplicate vector ${name}`);
  vectors.set(name, v);
};
const flip = (x: Uint8Array, byte: number, bit = 0) => {
  const t = x.slice();
  t[byte] = (t[byte] as number) ^ (1 << bit);
  return t;
};

async function resign(
  envelope: Uint8Array,
  edit: (h: EnvelopeHeader) => EnvelopeHeader,
  seed: Uint8Array,
  ct?: Uint8Array,
) {
  const parts = splitEnvelope(envelope);
  const ciphertext = ct ?? parts.ciphertext;
  const hb = encodeHeader(edit(decodeHeader(parts.header)));
  const msg = await envelopeSignatureMessage(b, hb, ciphertext);
  return encodeEnvelope(hb, ciphertext, await b.ed25519Sign(seed, msg));
}

async function envelopes(w: World, alice: Person, bob: Person, team: Team) {
  const body = utf8('deploy the api at 17:00 after the migration');
  const blind = b.randomBytes(32);
  // bob's kv entry at version 3 under one blind index, in generation 2
  const sealKv = (content: Uint8Array) =>
    sealTeamEnvelope(b, {
      teamId: team.state.id,
      generation: 2,
      chainSeq: team.state.seq,
      key: team.key,
      author: bob.id,
      device: bob.device,
      collection: COLLECTION.kv,
      objectVersion: 3,
      blindIndex: blind,
      body: content,
    });
  const { envelope, header } = await sealKv(body);
  const base = {
    kind: 'team-envelope' as const,
    teamId: e(team.state.id),
    author: e(bob.id),
    authorDevice: e(bob.device.id),
    authorSigPk: e(bob.device.sigPk),
    teamKeys: { '1': e(team.keys[0] as Uint8Array), '2': e(team.key) },
    served: {
      objectId: e(header.objectId),
      objectVersion: 3,
      collection: COLLECTION.kv,
      blindIndex: e(blind),
    },
    body: e(body),
  };
  const env = (
    name: string,
    description: string,
    expect: string,
    bytes: Uint8Array,
    extra: object = {},
  ) => add(`team-envelope-${name}`, { description, ...base, envelope: e(bytes), expect, ...extra });
  env('valid', 'a kv entry at version 3 with a blind index, generation 2', 'success', envelope);
  const hb = splitEnvelope(envelope).header;
  // Header offsets inside the envelope: u32 length prefix, then the header fields.
  const H = 4;
  const fields: [string, number, string][] = [
    ['version', 0, 'envelope.version'],
    ['suite', 2, 'envelope.version'],
    ['kind', 3, 'envelope.encoding'],
    ['object-id', 4, 'envelope.context'],
    ['object-version', 4 + 16 + 7, 'envelope.context'],
    ['collection', 28, 'envelope.context'],
    ['flags', 29, 'envelope.encoding'],
    ['author', 30, 'envelope.not-authorized'],
    ['author-device', 62, 'envelope.not-authorized'],
    ['created-at', 94 + 7, 'envelope.signature'],
    ['blind-index', 103, 'envelope.context'],
    ['team-id', 135, 'envelope.context'],
    ['generation', 167 + 3, 'envelope.signature'],
    ['chain-seq', 171 + 7, 'envelope.signature'],
    ['key-salt', 179, 'envelope.signature'],
    ['key-commit', 195, 'envelope.signature'],
  ];
  if (hb.length !== 227)
    throw new Error(`header layout changed (${hb.length} bytes): update the offsets`);
  for (const [name, at, expect] of fields)
    env(
      `tampered-${name}`,
      `one bit of the header field ${name} flipped`,
      expect,
      flip(envelope, H + at, name === 'kind' || name === 'flags' ? 1 : 0),
    );
  const sigAt = envelope.length - 64;
  env(
    'bad-signature',
    'one bit of the signature flipped',
    'envelope.signature',
    flip(envelope, sigAt),
  );
  env(
    'ciphertext-flipped',
    'one bit of the ciphertext flipped (the signature covers it)',
    'envelope.signature',
    flip(envelope, H + hb.length + 4 + 10),
  );
  env(
    'trailing-byte',
    'one byte appended after the signature',
    'envelope.encoding',
    Uint8Array.of(...envelope, 0),
  );
  env(
    'wrong-key',
    'the reader holds a different key for generation 2',
    'envelope.key-commitment',
    envelope,
    { teamKeys: { ...base.teamKeys, '2': e(generateTeamKey(b)) } },
  );
  env(
    'served-as-other-object',
    'the server serves it under another object id',
    'envelope.context',
    envelope,
    { served: { ...base.served, objectId: e(b.randomBytes(16)) } },
  );
  env(
    'served-as-other-version',
    'the server serves it as version 4',
    'envelope.context',
    envelope,
    { served: { ...base.served, objectVersion: 4 } },
  );
  env(
    'served-under-other-name',
    'the server serves it under another blind index (another kv name)',
    'envelope.context',
    envelope,
    { served: { ...base.served, blindIndex: e(b.randomBytes(32)) } },
  );
  env('other-team', 'the envelope is offered to another team', 'envelope.context', envelope, {
    teamId: e(b.randomBytes(32)),
  });
  env(
    'downgrade-resigned',
    'version rewritten to 2 and re-signed by the author',
    'envelope.version',
    (() => {
      const t = envelope.slice();
      t[H] = 2;
      return t;
    })(),
  );
  const movedId = b.randomBytes(16);
  env(
    'moved-resigned',
    'object id rewritten and re-signed by the author, served under the new id: the key derivation binds the id',
    'envelope.key-commitment',
    await resign(envelope, (h) => ({ ...h, objectId: movedId }), bob.device.sigSeed),
    { served: { ...base.served, objectId: e(movedId) } },
  );
  env(
    'redated-resigned',
    'createdAt rewritten and re-signed by the author: the AAD binds the header',
    'envelope.decrypt',
    await resign(
      envelope,
      (h) => ({ ...h, createdAt: h.createdAt - 86_400_000 }),
      bob.device.sigSeed,
    ),
  );
  env(
    'undeleted-resigned',
    'tombstone flag toggled and re-signed: the AAD binds the flags',
    'envelope.decrypt',
    await resign(envelope, (h) => ({ ...h, flags: 1 }), bob.device.sigSeed),
  );
  env(
    'non-member',
    'sealed under the valid key by a principal that is not a member',
    'envelope.not-authorized',
    envelope,
    { author: e(alice.id), authorDevice: e(alice.device.id), authorSigPk: e(alice.device.sigPk) },
  );
  const other = await sealKv(utf8('another value'));
  const swapped = encodeEnvelope(
    hb,
    splitEnvelope(other.envelope).ciphertext,
    splitEnvelope(envelope).signature,
  );
  env(
    'ciphertext-swapped',
    'the ciphertext of another object of the same author spliced in',
    'envelope.signature',
    swapped,
  );

  // direct envelopes
  const carol = await w.person('carol');
  const dm = await sealDirectEnvelope(b, {
    recipients: [bob.id],
    devices: w.devicesOf(bob, alice),
    author: alice.id,
    device: alice.device,
    collection: COLLECTION.message,
    body: utf8('can you review my patch?'),
  });
  const dbase = {
    kind: 'direct-envelope' as const,
    authorDevice: e(alice.device.id),
    authorSigPk: e(alice.device.sigPk),
    body: e(utf8('can you review my patch?')),
  };
  const me = (p: Person) => ({
    deviceId: e(p.device.id),
    kemSk: e(p.device.kemSk),
    principal: e(p.id),
  });
  add('direct-envelope-valid', {
    description: 'a direct message opened by the recipient',
    ...dbase,
    ...me(bob),
    envelope: e(dm.envelope),
    expect: 'success',
  });
  add('direct-envelope-sender-copy', {
    description: "opened by the sender's own device",
    ...dbase,
    ...me(alice),
    envelope: e(dm.envelope),
    expect: 'success',
  });
  add('direct-envelope-not-addressed', {
    description: 'a principal that is not a recipient',
    ...dbase,
    ...me(carol),
    envelope: e(dm.envelope),
    expect: 'envelope.context',
  });
  const dm2 = await sealDirectEnvelope(b, {
    recipients: [bob.id],
    devices: w.devicesOf(bob, alice),
    author: alice.id,
    device: alice.device,
    collection: COLLECTION.message,
    body: utf8('x'),
  });
  const wrapsSwapped = await resign(
    dm.envelope,
    (h) => ({
      ...h,
      direct: {
        recipients: h.direct?.recipients ?? [],
        wraps: decodeHeader(splitEnvelope(dm2.envelope).header).direct?.wraps ?? [],
      },
    }),
    alice.device.sigSeed,
  );
  add('direct-envelope-wraps-swapped', {
    description:
      'wrapped keys of another message, re-signed by the sender: the wrap info names the object, so it does not open',
    ...dbase,
    ...me(bob),
    envelope: e(wrapsSwapped),
    expect: 'envelope.no-key',
  });
  add('direct-envelope-bit-flip', {
    description: 'one bit of a wrapped key flipped',
    ...dbase,
    ...me(bob),
    envelope: e(flip(dm.envelope, 4 + 250)),
    expect: 'envelope.signature',
  });
}

async function streams() {
  const contentKey = b.randomBytes(32);
  const objectId = b.randomBytes(16);
  const key = await deriveStreamKey(b, contentKey, objectId, 1);
  const pt = new Uint8Array(65536 * 2 + 1000).map((_, i) => (i * 7) % 251);
  const ct = await sealAll(b, key, pt);
  const C = STREAM_SEALED_CHUNK_SIZE;
  const c0 = ct.subarray(0, C);
  const c1 = ct.subarray(C, 2 * C);
  const c2 = ct.subarray(2 * C);
  const base = {
    kind: 'stream' as const,
    contentKey: e(contentKey),
    objectId: e(objectId),
    version: 1,
    plaintextSha256: e(await b.sha256(pt)),
  };
  const st = (
    name: string,
    description: string,
    expect: string,
    bytes: Uint8Array,
    extra: object = {},
  ) => add(`stream-${name}`, { description, ...base, ciphertext: e(bytes), expect, ...extra });
  const cat = (...xs: Uint8Array[]) => {
    const o = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
    let i = 0;
    for (const x of xs) {
      o.set(x, i);
      i += x.length;
    }
    return o;
  };
  st('valid', 'three chunks: two full, a final of 1000 bytes', 'success', ct);
  const empty = await sealAll(b, key, new Uint8Array(0));
  st('empty', 'empty plaintext: one sealed empty final chunk', 'success', empty, {
    plaintextSha256: e(await b.sha256(new Uint8Array(0))),
  });
  st('empty-ciphertext', 'no bytes at all', 'stream.truncated', new Uint8Array(0));
  st('reordered', 'chunks 0 and 1 swapped', 'stream.chunk', cat(c1, c0, c2));
  st('dropped', 'middle chunk dropped', 'stream.chunk', cat(c0, c2));
  st('duplicated', 'chunk 0 repeated', 'stream.chunk', cat(c0, c0, c1, c2));
  st(
    'truncated-at-boundary',
    'final chunk removed: the last full chunk is not final',
    'stream.truncated',
    cat(c0, c1),
  );
  st(
    'truncated-mid-chunk',
    'cut in the middle of the final chunk',
    'stream.chunk',
    ct.subarray(0, ct.length - 100),
  );
  st('trailing', 'one byte after the final chunk', 'stream.chunk', cat(ct, Uint8Array.of(0)));
  st('flipped', 'one bit of chunk 1 flipped', 'stream.chunk', flip(ct, C + 5));
  const other = await sealAll(b, await deriveStreamKey(b, b.randomBytes(32), objectId, 1), pt);
  st(
    'spliced',
    'chunk 1 taken from a stream of the same file under another content key',
    'stream.chunk',
    cat(c0, other.subarray(C, 2 * C), c2),
  );
  st('other-version', 'read as version 2 of the object', 'stream.chunk', ct, { version: 2 });
}

async function chains() {
  const w = new World(b);
  const alice = await w.person('alice');
  await w.addDevice(alice);
  const pv = (
    name: string,
    description: string,
    expect: string,
    links: Uint8Array[],
    id = alice.id,
  ) =>
    add(`principal-chain-${name}`, {
      kind: 'principal-chain',
      description,
      id: e(id),
      links: links.map(e),
      expect,
    });
  pv('valid', 'genesis and an added device', 'success', alice.links);
  const d = await generateDevice(b);
  const second = await w.principalLink(alice, { type: 'revoke-device', deviceId: alice.device.id });
  pv('bad-prev', 'link 2 with one bit of its previous hash flipped', 'chain.bad-prev', [
    ...alice.links,
    flip(second.bytes, 4 + 2 + 32 + 8),
  ]);
  const mallory = await generateDevice(b);
  const ghost = await principalLink(
    b,
    alice.state,
    mallory,
    { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
    { time: w.tick(), second: d.sigSeed },
  );
  pv('wrong-signer', 'a device outside the chain adds a ghost device', 'chain.unknown-signer', [
    ...alice.links,
    ghost.bytes,
  ]);
  const noCounter = await principalLink(
    b,
    alice.state,
    alice.device,
    { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
    { time: w.tick(), second: mallory.sigSeed },
  );
  pv('no-countersignature', 'add-device countersigned by the wrong key', 'chain.bad-signature', [
    ...alice.links,
    noCounter.bytes,
  ]);
  pv(
    'wrong-id',
    'the chain checked against another principal id',
    'chain.wrong-chain',
    alice.links,
    b.randomBytes(32),
  );
  const ik = await inviteKeys(b, newInviteToken(b, 'device', alice.id));
  const inv = await w.principalLink(alice, {
    type: 'device-invite',
    inviteSigPk: ik.sigPk,
    expires: w.clock + 60_000,
  });
  const acc = await principalLink(
    b,
    alice.state,
    d,
    { type: 'accept-device-invite', inviteId: ik.inviteId, sigPk: d.sigPk, kemPk: d.kemPk },
    { time: w.clock + 120_000, second: ik.sigSeed },
  );
  await w.appendPrincipal(alice, inv);
  const late = await principalLink(
    b,
    alice.state,
    d,
    { type: 'accept-device-invite', inviteId: ik.inviteId, sigPk: d.sigPk, kemPk: d.kemPk },
    { time: w.clock + 120_000, second: ik.sigSeed },
  );
  pv('device-invite-expired', 'a device invite accepted after its expiry', 'chain.invite-expired', [
    ...alice.links,
    late.bytes,
  ]);
  void acc;
  const ok = await principalLink(
    b,
    alice.state,
    d,
    { type: 'accept-device-invite', inviteId: ik.inviteId, sigPk: d.sigPk, kemPk: d.kemPk },
    { time: w.tick(), second: ik.sigSeed },
  );
  await w.appendPrincipal(alice, ok);
  pv('device-linked', 'a device linked through an invite', 'success', alice.links);
  const e2 = await generateDevice(b);
  const reuse = await principalLink(
    b,
    alice.state,
    e2,
    { type: 'accept-device-invite', inviteId: ik.inviteId, sigPk: e2.sigPk, kemPk: e2.kemPk },
    { time: w.tick(), second: ik.sigSeed },
  );
  pv('device-invite-reused', 'the same device invite accepted twice', 'chain.invite-used', [
    ...alice.links,
    reuse.bytes,
  ]);

  // team chains
  const bob = await w.person('bob');
  const carol = await w.person('carol');
  const team = await Team.create(w, alice);
  const principals = () => [alice, bob, carol].map((p) => ({ id: e(p.id), links: p.links.map(e) }));
  const tv = (name: string, description: string, expect: string, links: Uint8Array[]) =>
    add(`team-chain-${name}`, {
      kind: 'team-chain',
      description,
      principals: principals(),
      teamId: e(team.state.id),
      links: links.map(e),
      expect,
    });
  await team.add(alice, bob, ROLE.admin);
  await team.add(bob, carol, ROLE.reader);
  await team.append(alice, { type: 'set-role', member: carol.id, role: ROLE.writer });
  await team.rotate(carol);
  const tik = await inviteKeys(b, newInviteToken(b, 'team', team.state.id));
  await team.append(bob, {
    type: 'invite',
    inviteSigPk: tik.sigPk,
    inviteKemPk: tik.kemPk,
    role: ROLE.reader,
    expires: w.clock + 60_000,
  });
  const dave = await w.person('dave');
  const daveAccept = await team.link(
    dave,
    {
      type: 'accept-invite',
      inviteId: tik.inviteId,
      pin: pinOf(dave.state),
      nameCt: new Uint8Array(0),
    },
    tik.sigSeed,
  );
  const snapshot = await TeamState.verify(b, team.links, w.resolve);
  const lateAccept = await teamLink(
    b,
    snapshot,
    dave.id,
    dave.device,
    {
      type: 'accept-invite',
      inviteId: tik.inviteId,
      pin: pinOf(dave.state),
      nameCt: new Uint8Array(0),
    },
    { time: w.clock + 120_000, second: tik.sigSeed },
  );
  const principalsWithDave = () =>
    [alice, bob, carol, dave].map((p) => ({ id: e(p.id), links: p.links.map(e) }));
  add('team-chain-invite-expired', {
    kind: 'team-chain',
    description: 'an invite accepted after its expiry',
    principals: principalsWithDave(),
    teamId: e(team.state.id),
    links: [...team.links, lateAccept.bytes].map(e),
    expect: 'chain.invite-expired',
  });
  await team.state.apply(b, daveAccept.bytes, w.resolve);
  team.links.push(daveAccept.bytes);
  const eve = await w.person('eve');
  const reuse2 = await team.link(
    eve,
    {
      type: 'accept-invite',
      inviteId: tik.inviteId,
      pin: pinOf(eve.state),
      nameCt: new Uint8Array(0),
    },
    tik.sigSeed,
  );
  add('team-chain-invite-reused', {
    kind: 'team-chain',
    description: 'one invite accepted by a second principal',
    principals: [alice, bob, carol, dave, eve].map((p) => ({ id: e(p.id), links: p.links.map(e) })),
    teamId: e(team.state.id),
    links: [...team.links, reuse2.bytes].map(e),
    expect: 'chain.invite-used',
  });
  const removal = await team.link(alice, { type: 'remove-member', member: carol.id });
  const withRemoval = [...team.links, removal.bytes];
  await team.remove(alice, carol);
  await team.append(alice, { type: 'rename', nameCt: new Uint8Array(40) });
  add('team-chain-valid', {
    kind: 'team-chain',
    description: 'create, add, set role, rotate, invite, accept, remove with rotation, rename',
    principals: principalsWithDave(),
    teamId: e(team.state.id),
    links: team.links.map(e),
    expect: 'success',
  });
  add('team-chain-removal-without-rotation', {
    kind: 'team-chain',
    description: 'a member removed and the chain ends before the rotation',
    principals: principalsWithDave(),
    teamId: e(team.state.id),
    links: withRemoval.map(e),
    expect: 'chain.removal-without-rotation',
  });
  const next = await team.link(bob, { type: 'rename', nameCt: new Uint8Array(40) });
  tv(
    'bad-prev',
    'the last link with a flipped previous hash',
    'chain.bad-prev',
    [...team.links, flip(next.bytes, 4 + 2 + 32 + 8)].slice(0),
  );
  const wrong = await team.link(
    bob,
    { type: 'rename', nameCt: new Uint8Array(40) },
    undefined,
    alice.device,
  );
  tv('wrong-signer', "a link by bob signed with alice's device", 'chain.unknown-signer', [
    ...team.links,
    wrong.bytes,
  ]);
  const byReader = await team.link(dave, {
    type: 'add-member',
    member: carol.id,
    role: ROLE.writer,
    pin: pinOf(carol.state),
    nameCt: new Uint8Array(0),
  });
  add('team-chain-reader-adds-member', {
    kind: 'team-chain',
    description: 'a reader tries to add a member',
    principals: principalsWithDave(),
    teamId: e(team.state.id),
    links: [...team.links, byReader.bytes].map(e),
    expect: 'chain.not-authorized',
  });
  // fix principals for the vectors above that need dave too
  for (const name of ['team-chain-bad-prev', 'team-chain-wrong-signer']) {
    const v = vectors.get(name);
    if (v) vectors.set(name, { ...v, principals: principalsWithDave() });
  }
}

async function keyBoxes() {
  const teamId = b.randomBytes(32);
  const dev = await generateDevice(b);
  const other = await generateDevice(b);
  const key = generateTeamKey(b);
  const commitment = await keyCommitment(b, 4, key);
  const box = await sealKeyBox(b, teamId, 4, key, dev.id, dev.kemPk);
  const base = {
    kind: 'key-box' as const,
    teamId: e(teamId),
    generation: 4,
    recipientId: e(dev.id),
    kemSk: e(dev.kemSk),
    commitment: e(commitment),
    key: e(key),
  };
  const kb = (
    name: string,
    description: string,
    expect: string,
    bytes: Uint8Array,
    extra: object = {},
  ) => add(`key-box-${name}`, { description, ...base, box: e(bytes), expect, ...extra });
  kb('valid', 'generation 4 boxed to this device', 'success', box);
  kb(
    'other-device',
    'a box addressed to another device',
    'keybox.wrong-context',
    await sealKeyBox(b, teamId, 4, key, other.id, other.kemPk),
  );
  kb(
    'other-team',
    'a box from another team',
    'keybox.wrong-context',
    await sealKeyBox(b, b.randomBytes(32), 4, key, dev.id, dev.kemPk),
  );
  kb(
    'other-generation',
    'a box of generation 3 served as 4',
    'keybox.wrong-context',
    await sealKeyBox(b, teamId, 3, key, dev.id, dev.kemPk),
  );
  const relabelled = (await sealKeyBox(b, teamId, 4, key, other.id, dev.kemPk)).slice();
  relabelled.set(dev.id, 1 + 32 + 4);
  kb(
    'relabelled',
    "a box made for another device id, relabelled with this device's id",
    'keybox.open',
    relabelled,
  );
  kb(
    'uncommitted-key',
    'a box holding a key that does not match the chain commitment',
    'keybox.commitment',
    await sealKeyBox(b, teamId, 4, generateTeamKey(b), dev.id, dev.kemPk),
  );
  kb('flipped', 'one bit of the HPKE ciphertext flipped', 'keybox.open', flip(box, box.length - 3));
  kb('non-canonical', 'a trailing byte', 'keybox.encoding', Uint8Array.of(...box, 0));
}

async function bodies() {
  const teamId = b.randomBytes(32);
  const tk1 = asTeamKey(generateTeamKey(b));
  const objectId = b.randomBytes(16);
  const header = (blind?: Uint8Array, id = objectId, objectVersion = 1) => ({
    objectId: e(id),
    objectVersion,
    blindIndex: blind ? e(blind) : null,
  });
  const bv = (
    name: string,
    description: string,
    collection: number,
    body: Uint8Array,
    expect: string,
    decoded: object | null,
    extra: object = {},
  ) =>
    add(`body-${name}`, {
      kind: 'body',
      description,
      collection,
      body: e(body),
      header: header(),
      decoded: decoded === null ? null : bodyJson(decoded),
      expect,
      ...extra,
    });
  const enc = 'envelope.encoding';
  const patch = (x: Uint8Array, at: number, value: number) => {
    const t = x.slice();
    t[at] = value;
    return t;
  };

  // messages (10.2)
  const request: MessageBody = {
    type: 'request',
    priority: 'blocking',
    topic: 'deploy',
    text: 'May I run the migration on production? Ünïcödé ✓',
  };
  const mb = encodeMessageBody(request);
  bv('message-valid', 'a blocking request with a topic', COLLECTION.message, mb, 'success', {
    ...request,
    replyTo: null,
  });
  const response: MessageBody = {
    type: 'response',
    priority: 'normal',
    topic: '',
    replyTo: b.randomBytes(16),
    text: 'yes',
  };
  bv(
    'message-response',
    'a response naming the message it answers',
    COLLECTION.message,
    encodeMessageBody(response),
    'success',
    response,
  );
  bv('message-bad-format', 'format byte 02', COLLECTION.message, patch(mb, 0, 2), enc, null);
  bv(
    'message-empty',
    'an empty body (only a tombstone has one)',
    COLLECTION.message,
    new Uint8Array(0),
    enc,
    null,
  );
  bv('message-unknown-type', 'message type 04', COLLECTION.message, patch(mb, 1, 4), enc, null);
  bv(
    'message-response-without-reply-to',
    'a response that names no message',
    COLLECTION.message,
    patch(mb, 1, 2),
    enc,
    null,
  );
  bv(
    'message-trailing-byte',
    'one byte after the text',
    COLLECTION.message,
    Uint8Array.of(...mb, 0),
    enc,
    null,
  );
  bv(
    'message-invalid-utf8',
    'text holding an encoded surrogate (ed a0 80)',
    COLLECTION.message,
    new Writer()
      .u8(1)
      .u8(3)
      .u8(1)
      .str('')
      .u8(0)
      .bytes(Uint8Array.of(0x61, 0xed, 0xa0, 0x80))
      .finish(),
    enc,
    null,
  );

  // snippets (10.3)
  const snippet: SnippetBody = {
    title: 'retry with backoff',
    language: 'typescript',
    path: 'src/net/retry.ts',
    lines: { first: 10, last: 24 },
    gitRemote: 'https://github.com/example/app.git',
    commit: b.randomBytes(20),
    note: 'the delay doubles up to 30 s',
    kind: 'content',
    content: 'for (let i = 0; i < 5; i++) {\n  await sleep(2 ** i * 100);\n}\n',
  };
  bv(
    'snippet-valid',
    'a line range of a file at a SHA-1 commit',
    COLLECTION.snippet,
    encodeSnippetBody(snippet),
    'success',
    snippet,
  );
  const patchSnippet: SnippetBody = {
    title: 'fix typo',
    language: '',
    path: '',
    gitRemote: '',
    commit: b.randomBytes(32),
    note: '',
    kind: 'patch',
    content: '--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-helo\n+hello\n',
  };
  bv(
    'snippet-patch',
    'a patch without path or line range, at a SHA-256 commit',
    COLLECTION.snippet,
    encodeSnippetBody(patchSnippet),
    'success',
    {
      ...patchSnippet,
      lines: null,
    },
  );
  const rawSnippet = (o: Partial<SnippetBody>) => {
    const s = { ...snippet, ...o };
    return new Writer()
      .u8(1)
      .str(s.title)
      .str(s.language)
      .str(s.path)
      .opt(s.lines, (w, l) => w.u32(l.first).u32(l.last))
      .str(s.gitRemote)
      .bytes(s.commit)
      .str(s.note)
      .u8(s.kind === 'content' ? 1 : 2)
      .str(s.content)
      .finish();
  };
  bv(
    'snippet-path-dot-dot',
    'path src/../../etc/passwd',
    COLLECTION.snippet,
    rawSnippet({ path: 'src/../../etc/passwd' }),
    enc,
    null,
  );
  bv(
    'snippet-absolute-path',
    'path /etc/passwd',
    COLLECTION.snippet,
    rawSnippet({ path: '/etc/passwd' }),
    enc,
    null,
  );
  bv(
    'snippet-lines-without-path',
    'a line range with an empty path',
    COLLECTION.snippet,
    rawSnippet({ path: '' }),
    enc,
    null,
  );
  bv(
    'snippet-empty-line-range',
    'line range 24 to 10',
    COLLECTION.snippet,
    rawSnippet({ lines: { first: 24, last: 10 } }),
    enc,
    null,
  );
  bv(
    'snippet-commit-7-bytes',
    'a 7-byte (abbreviated) commit',
    COLLECTION.snippet,
    rawSnippet({ commit: b.randomBytes(7) }),
    enc,
    null,
  );
  bv(
    'snippet-remote-with-credentials',
    'a remote URL that still carries user information',
    COLLECTION.snippet,
    rawSnippet({ gitRemote: 'https://user:token@github.com/example/app.git' }),
    enc,
    null,
  );

  // kv and secret entries (10.4)
  const idx = async (purpose: 'kv' | 'secret', scope: string, name: string) =>
    blindIndex(b, await indexKey(b, tk1, teamId, purpose), scope, name);
  const keys = { teamKey1: e(tk1), teamId: e(teamId) };
  const kv: EntryBody = {
    environment: 'prod',
    name: 'http.timeout',
    value: utf8('{ "ms": 3000 }'),
    comment: 'raised after the outage',
  };
  const kvBody = encodeEntryBody(kv, 'kv');
  const kvIndex = await idx('kv', 'prod', 'http.timeout');
  bv('kv-valid', 'a kv entry with its blind index', COLLECTION.kv, kvBody, 'success', kv, {
    ...keys,
    header: header(kvIndex),
  });
  const secret: EntryBody = {
    environment: 'prod',
    name: 'DATABASE_URL',
    value: b.randomBytes(24),
    comment: '',
  };
  const secretBody = encodeEntryBody(secret, 'secret');
  const secretIndex = await idx('secret', 'prod', 'DATABASE_URL');
  bv(
    'secret-valid',
    'a secret (any octets) with its blind index',
    COLLECTION.secret,
    secretBody,
    'success',
    secret,
    {
      ...keys,
      header: header(secretIndex),
    },
  );
  const notJson = encodeEntryBody({ ...kv, value: utf8('ms: 3000') }, 'secret');
  bv(
    'kv-value-not-json',
    'a kv value that is not JSON (valid as a secret)',
    COLLECTION.kv,
    notJson,
    enc,
    null,
    {
      ...keys,
      header: header(kvIndex),
    },
  );
  bv(
    'kv-name-empty',
    'an entry with an empty name',
    COLLECTION.kv,
    new Writer().u8(1).str('prod').str('').bytes(utf8('1')).str('').finish(),
    enc,
    null,
    { ...keys, header: header(await idx('kv', 'prod', '')) },
  );
  bv(
    'kv-other-name',
    'the header carries the blind index of another name',
    COLLECTION.kv,
    kvBody,
    'envelope.context',
    null,
    {
      ...keys,
      header: header(await idx('kv', 'prod', 'http.retries')),
    },
  );
  bv(
    'secret-other-environment',
    'the header carries the index of the same name in another environment',
    COLLECTION.secret,
    secretBody,
    'envelope.context',
    null,
    { ...keys, header: header(await idx('secret', 'dev', 'DATABASE_URL')) },
  );
  bv(
    'secret-kv-index',
    'a secret filed under the kv-purpose index of its name',
    COLLECTION.secret,
    secretBody,
    'envelope.context',
    null,
    { ...keys, header: header(await idx('kv', 'prod', 'DATABASE_URL')) },
  );
  bv(
    'kv-no-index',
    'a kv entry whose header has no blind index',
    COLLECTION.kv,
    kvBody,
    'envelope.context',
    null,
    keys,
  );

  // file manifests (10.5)
  const manifest: FileManifest = {
    name: 'reports/q3.pdf',
    mediaType: 'application/pdf',
    size: 65537,
    mtime: 1_700_000_000_000,
    contentKey: b.randomBytes(32),
    streamObjectId: objectId,
    streamVersion: 1,
    blobId: b.randomBytes(16),
    chunkCount: 2,
    sha256: b.randomBytes(32),
  };
  const rawManifest = (o: Partial<FileManifest>) => {
    const m = { ...manifest, ...o };
    return new Writer()
      .u8(1)
      .str(m.name)
      .str(m.mediaType)
      .u64(m.size)
      .u64(m.mtime)
      .fixed(m.contentKey, 32)
      .fixed(m.streamObjectId, 16)
      .u64(m.streamVersion)
      .fixed(m.blobId, 16)
      .u64(m.chunkCount)
      .fixed(m.sha256, 32)
      .finish();
  };
  const fileBody = encodeFileManifest(manifest);
  bv(
    'file-valid',
    'a manifest of a two-chunk file',
    COLLECTION.file,
    fileBody,
    'success',
    manifest,
  );
  bv(
    'file-chunk-count-mismatch',
    'size 65 536 with chunkCount 2',
    COLLECTION.file,
    rawManifest({ size: 65536 }),
    enc,
    null,
  );
  bv(
    'file-media-type-parameters',
    'media type with a parameter',
    COLLECTION.file,
    rawManifest({ mediaType: 'text/plain; charset=utf-8' }),
    enc,
    null,
  );
  bv(
    'file-name-dot-dot',
    'file name ../q3.pdf',
    COLLECTION.file,
    rawManifest({ name: '../q3.pdf' }),
    enc,
    null,
  );
  bv(
    'file-other-object',
    "the manifest's stream object id is not the header's object id",
    COLLECTION.file,
    fileBody,
    'envelope.context',
    null,
    {
      header: header(undefined, b.randomBytes(16)),
    },
  );
  bv(
    'file-other-version',
    'served in an envelope of object version 2',
    COLLECTION.file,
    fileBody,
    'envelope.context',
    null,
    {
      header: header(undefined, objectId, 2),
    },
  );
}

function encodings() {
  const bv = (name: string, input: string, expect: string, hex = '') =>
    add(`base64url-${name}`, {
      kind: 'base64url',
      description: `base64url input ${JSON.stringify(input)}`,
      input,
      hex,
      expect,
    });
  bv('valid', '-_8', 'success', toHex(Uint8Array.of(0xfb, 0xff)));
  bv('padded', 'AA==', 'encoding');
  bv('standard-alphabet', 'AB+/', 'encoding');
  bv('trailing-bits', 'AF', 'encoding');
  bv('bad-length', 'AAAAA', 'encoding');
  bv('whitespace', 'AA AA', 'encoding');
  const token = formatInviteToken(newInviteToken(b, 'team', b.randomBytes(32)));
  const tv = (name: string, t: string, expect: string) =>
    add(`invite-token-${name}`, {
      kind: 'invite-token',
      description: `invite token: ${name}`,
      token: t,
      expect,
    });
  tv('valid', token, 'success');
  tv('truncated', token.slice(0, -2), 'encoding');
  tv('wrong-prefix', token.replace('hush_', 'hush-'), 'encoding');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(token.slice(-1));
  tv('non-canonical', `${token.slice(0, -1)}${alphabet.charAt(last | 1)}`, 'encoding');
}

const w = new World(b);
const alice = await w.person('alice');
const bob = await w.person('bob');
const team = await Team.create(w, alice);
await team.add(alice, bob);
await team.rotate(alice);
await envelopes(w, alice, bob, team);
await streams();
await chains();
await keyBoxes();
await bodies();
encodings();

// Check every scenario against the reference first; write nothing unless all agree.
let bad = 0;
for (const [name, v] of vectors) {
  const got = await runVector(b, v);
  if (got !== v.expect) {
    console.error(`${name}: expected ${v.expect}, reference gives ${got}`);
    bad++;
  }
}
if (bad > 0) {
  console.error(`${bad} vectors disagree with the reference implementation; nothing written`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.json')) rmSync(join(out, f));
for (const [name, v] of vectors) {
  writeFileSync(
    join(out, `${name}.json`),
    `${JSON.stringify({ ...v, scenario: name }, null, 1)}\n`,
  );
}
console.log(`wrote ${vectors.size} vectors to ${out}`);
