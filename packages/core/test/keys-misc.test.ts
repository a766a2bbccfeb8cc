import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { blindIndex, indexKey } from '../src/blind-index.js';
import { EncodingError } from '../src/errors.js';
import { formatInviteToken, inviteKeys, newInviteToken, parseInviteToken } from '../src/invite.js';
import { KeyBoxError, openKeyBox, sealKeyBox } from '../src/keybox.js';
import { generateDevice } from '../src/keys.js';
import { pad, padme, paddedSize, unpad } from '../src/padding.js';
import { generateTeamKey, keyCommitment } from '../src/team-key.js';
import { backends } from './backends.js';

describe('Padmé padding', () => {
  it('matches the published Padmé values and round-trips', () => {
    for (const [l, p] of [
      [0, 0],
      [1, 1],
      [2, 2],
      [9, 10],
      [100, 104],
      [1000, 1024],
      [1025, 1088],
      [10_000, 10_240],
    ] as const) {
      assert.equal(padme(l), p, `padme(${l})`);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (body) => {
        const padded = pad(body);
        assert.equal(padded.length, paddedSize(body.length));
        assert.ok(padded.length <= Math.max(64, (4 + body.length) * 1.12 + 1));
        assert.deepEqual(unpad(padded), body);
      }),
    );
    const p = pad(new Uint8Array(3));
    p[p.length - 1] = 1;
    assert.throws(() => unpad(p), EncodingError);
  });
});

describe('invite tokens', () => {
  it('round-trips and rejects anything malformed with a clear error', async () => {
    const b = backends[0];
    if (!b) throw new Error('backend');
    const t = newInviteToken(b, 'team', b.randomBytes(32));
    const text = formatInviteToken(t);
    assert.match(text, /^hush_[A-Za-z0-9_-]{67}$/);
    assert.deepEqual(parseInviteToken(text), t);
    assert.deepEqual(parseInviteToken(`  ${text}\n`), t);
    for (const bad of [
      '',
      'hush_',
      text.slice(0, -1),
      `${text}A`,
      text.replace('hush_', 'hash_'),
      `${text.slice(0, -1)}=`,
    ]) {
      assert.throws(() => parseInviteToken(bad), EncodingError, bad);
    }
    const k1 = await inviteKeys(b, t);
    const k2 = await inviteKeys(b, parseInviteToken(text));
    assert.deepEqual(k1.sigPk, k2.sigPk);
    assert.deepEqual(k1.kemPk, k2.kemPk);
  });
});

for (const b of backends) {
  describe(`key boxes (${b.name})`, () => {
    it('open only for their device, team and generation, and only with the committed key', async () => {
      const teamId = b.randomBytes(32);
      const d = await generateDevice(b);
      const e = await generateDevice(b);
      const key = generateTeamKey(b);
      const commitment = await keyCommitment(b, 3, key);
      const box = await sealKeyBox(b, teamId, 3, key, d.id, d.kemPk);
      const expected = { teamId, generation: 3, recipientId: d.id, commitment };
      assert.deepEqual(await openKeyBox(b, box, expected, d.kemSk), key);
      const reason = (r: string) => (x: unknown) => x instanceof KeyBoxError && x.reason === r;
      await assert.rejects(
        openKeyBox(b, box, { ...expected, recipientId: e.id }, e.kemSk),
        reason('wrong-context'),
      );
      await assert.rejects(
        openKeyBox(b, box, { ...expected, teamId: b.randomBytes(32) }, d.kemSk),
        reason('wrong-context'),
      );
      await assert.rejects(
        openKeyBox(b, box, { ...expected, generation: 2 }, d.kemSk),
        reason('wrong-context'),
      );
      await assert.rejects(openKeyBox(b, box, expected, e.kemSk), reason('open'));
      const other = generateTeamKey(b);
      const liar = await sealKeyBox(b, teamId, 3, other, d.id, d.kemPk);
      await assert.rejects(openKeyBox(b, liar, expected, d.kemSk), reason('commitment'));
      // a box for device e relabelled as d's fails: the HPKE info names the recipient
      const forE = await sealKeyBox(b, teamId, 3, key, e.id, d.kemPk);
      const relabelled = forE.slice();
      relabelled.set(d.id, 1 + 32 + 4);
      await assert.rejects(openKeyBox(b, relabelled, expected, d.kemSk), reason('open'));
      for (let bit = 0; bit < box.length * 8; bit++) {
        const t = box.slice();
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        await assert.rejects(openKeyBox(b, t, expected, d.kemSk), KeyBoxError);
      }
    });
  });

  describe(`blind indexes (${b.name})`, () => {
    it('are stable per team, separated by purpose, scope and team', async () => {
      const tk = generateTeamKey(b);
      const t1 = b.randomBytes(32);
      const t2 = b.randomBytes(32);
      const kv = await indexKey(b, tk, t1, 'kv');
      const a = await blindIndex(b, kv, '', 'DATABASE_URL');
      assert.deepEqual(a, await blindIndex(b, await indexKey(b, tk, t1, 'kv'), '', 'DATABASE_URL'));
      assert.notDeepEqual(
        a,
        await blindIndex(b, await indexKey(b, tk, t1, 'secret'), '', 'DATABASE_URL'),
      );
      assert.notDeepEqual(
        a,
        await blindIndex(b, await indexKey(b, tk, t2, 'kv'), '', 'DATABASE_URL'),
      );
      assert.notDeepEqual(a, await blindIndex(b, kv, 'production', 'DATABASE_URL'));
      // scope/name boundaries are length-prefixed: ("ab","c") != ("a","bc")
      assert.notDeepEqual(await blindIndex(b, kv, 'ab', 'c'), await blindIndex(b, kv, 'a', 'bc'));
    });
  });
}
