import assert from 'node:assert/strict';
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concat, fromHex, toHex, utf8 } from '../src/bytes.js';
import { ArgumentError } from '../src/errors.js';
import { openAll, sealAll } from '../src/stream/all.js';
import { StreamOpener, StreamSealer } from '../src/stream/chunk.js';
import { StreamEncryptor } from '../src/stream/codec.js';
import { StreamError } from '../src/stream/errors.js';
import {
  plaintextSize,
  sealedSize,
  STREAM_CHUNK_SIZE as CHUNK,
  STREAM_SEALED_CHUNK_SIZE as SEALED,
  streamNonce,
} from '../src/stream/format.js';
import { deriveStreamKey, type StreamKey } from '../src/stream/key.js';
import { backends } from './backends.js';

const contentKey = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const objectId = fromHex('f0e0d0c0b0a090807060504030201000');

function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return out;
}

/**
 * A second implementation written straight from the spec on node:crypto (hkdfSync and one
 * createCipheriv per chunk), sharing no code with src/stream.
 */
function referenceSeal(ck: Uint8Array, oid: Uint8Array, version: number, pt: Uint8Array) {
  const info = Buffer.alloc(4 + 14 + 8);
  info.writeUInt32BE(14, 0);
  info.write('hush/v1/stream', 4, 'ascii');
  info.writeBigUInt64BE(BigInt(version), 18);
  const key = Buffer.from(hkdfSync('sha256', ck, oid, info, 32));
  const parts: Buffer[] = [];
  let i = 0;
  for (let off = 0; ; off += CHUNK, i++) {
    const final = pt.length - off <= CHUNK;
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64BE(BigInt(i), 3);
    nonce[11] = final ? 1 : 0;
    const c = createCipheriv('aes-256-gcm', key, nonce);
    parts.push(c.update(pt.subarray(off, final ? pt.length : off + CHUNK)), c.final());
    parts.push(c.getAuthTag());
    if (final) break;
  }
  return { key, sealed: new Uint8Array(Buffer.concat(parts)) };
}

const sizes = [0, 1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK, 3 * CHUNK + 100];

describe('STREAM framing', () => {
  it('builds the nonce as an 11-byte big-endian counter and a final flag', () => {
    assert.equal(toHex(streamNonce(0, false)), '000000000000000000000000');
    assert.equal(toHex(streamNonce(0, true)), '000000000000000000000001');
    assert.equal(toHex(streamNonce(1, false)), '000000000000000000000100');
    assert.equal(toHex(streamNonce(2 ** 40 + 5, true)), '000000000001000000000501');
    assert.equal(toHex(streamNonce(2 ** 53 - 1, false)), '000000001fffffffffffff00');
    for (const bad of [-1, 0.5, 2 ** 53, Number.NaN]) {
      assert.throws(() => streamNonce(bad, false), ArgumentError);
    }
  });

  it('computes sealed sizes and their inverse', () => {
    const table: [number, number][] = [
      [0, 16],
      [1, 17],
      [CHUNK - 1, CHUNK + 15],
      [CHUNK, SEALED],
      [CHUNK + 1, SEALED + 17],
      [3 * CHUNK, 3 * SEALED],
      [3 * CHUNK + 100, 3 * SEALED + 116],
    ];
    for (const [p, s] of table) {
      assert.equal(sealedSize(p), s, `sealedSize(${p})`);
      assert.equal(plaintextSize(s), p, `plaintextSize(${s})`);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (n) => {
        assert.equal(plaintextSize(sealedSize(n)), n);
      }),
    );
    const reason = (n: number) => {
      try {
        plaintextSize(n);
      } catch (e) {
        assert.ok(e instanceof StreamError);
        return e.reason;
      }
      return 'ok';
    };
    assert.equal(reason(0), 'truncated');
    assert.equal(reason(15), 'truncated');
    assert.equal(reason(SEALED + 15), 'truncated');
    assert.equal(reason(SEALED + 16), 'empty-final');
    assert.throws(() => sealedSize(-1), ArgumentError);
    assert.throws(() => sealedSize(2 ** 53 - 1), ArgumentError);
    assert.throws(() => plaintextSize(1.5), ArgumentError);
  });
});

for (const b of backends) {
  describe(`STREAM core (${b.name})`, () => {
    it('derives the stream key as written in the spec', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 7);
      const info = concat(fromHex('0000000e'), utf8('hush/v1/stream'), fromHex('0000000000000007'));
      const expected = new Uint8Array(hkdfSync('sha256', contentKey, objectId, info, 32));
      assert.equal(toHex(key), toHex(expected));
      const others = [
        await deriveStreamKey(b, contentKey, objectId, 8),
        await deriveStreamKey(
          b,
          contentKey,
          objectId.map((x) => x ^ 1),
          7,
        ),
        await deriveStreamKey(
          b,
          contentKey.map((x) => x ^ 1),
          objectId,
          7,
        ),
      ];
      for (const k of others) assert.notEqual(toHex(k), toHex(key));
      await assert.rejects(deriveStreamKey(b, contentKey.subarray(1), objectId, 0), ArgumentError);
      await assert.rejects(deriveStreamKey(b, contentKey, objectId.subarray(1), 0), ArgumentError);
      await assert.rejects(deriveStreamKey(b, contentKey, objectId, -1), ArgumentError);
    });

    it('matches an independent node:crypto implementation and round-trips', async () => {
      for (const n of sizes) {
        const pt = pattern(n, n);
        const ref = referenceSeal(contentKey, objectId, 3, pt);
        const key = await deriveStreamKey(b, contentKey, objectId, 3);
        assert.equal(toHex(key), ref.key.toString('hex'));
        const sealed = await sealAll(b, key, pt);
        assert.equal(sealed.length, sealedSize(n));
        assert.ok(Buffer.from(sealed).equals(Buffer.from(ref.sealed)), `size ${n}`);
        assert.deepEqual(await openAll(b, key, ref.sealed), pt);
      }
    });

    it('matches the fixed known-answer values', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 1);
      assert.equal(toHex(key), KAT_KEY);
      assert.equal(toHex(await sealAll(b, key, new Uint8Array(0))), KAT_EMPTY);
      assert.equal(toHex(await sealAll(b, key, utf8('hush'))), KAT_HUSH);
      const big = await sealAll(b, key, pattern(2 * CHUNK + 5));
      assert.equal(createHash('sha256').update(big).digest('hex'), KAT_BIG_SHA256);
    });

    it('seals chunks only in the allowed sizes and never after the final one', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      const s = new StreamSealer(b, key);
      assert.throws(() => s.seal(new Uint8Array(CHUNK - 1), false), ArgumentError);
      assert.throws(() => s.seal(new Uint8Array(CHUNK + 1), true), ArgumentError);
      await s.seal(new Uint8Array(CHUNK), false);
      assert.throws(() => s.seal(new Uint8Array(0), true), ArgumentError);
      await s.seal(new Uint8Array(1), true);
      assert.equal(s.done, true);
      assert.equal(s.counter, 2);
      assert.throws(() => s.seal(new Uint8Array(1), true), ArgumentError);
      const empty = new StreamSealer(b, key);
      assert.equal((await empty.seal(new Uint8Array(0), true)).length, 16);
      assert.throws(() => new StreamSealer(b, key.subarray(1) as StreamKey), ArgumentError);
    });

    it('sealPieces gives the bytes of seal, in pieces, under the same checks', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      const whole = new StreamSealer(b, key);
      const pieces = new StreamSealer(b, key);
      for (const [chunk, final] of [
        [pattern(CHUNK, 1), false],
        [pattern(CHUNK, 2), false],
        [pattern(77, 3), true],
      ] as const) {
        const got = await pieces.sealPieces(chunk, final);
        assert.ok(got.length >= 1);
        assert.equal(toHex(concat(...got)), toHex(await whole.seal(chunk, final)));
      }
      assert.equal(pieces.done, true);
      assert.throws(() => pieces.sealPieces(new Uint8Array(1), true), ArgumentError);
      const fresh = new StreamSealer(b, key);
      assert.throws(() => fresh.sealPieces(new Uint8Array(CHUNK - 1), false), ArgumentError);
      assert.equal(fresh.counter, 0);
      const empty = await fresh.sealPieces(new Uint8Array(0), true);
      assert.equal(
        toHex(concat(...empty)),
        toHex(await new StreamSealer(b, key).seal(new Uint8Array(0), true)),
      );
    });

    // Only backends with the optional fast path; the others are covered by sealPieces above.
    const detached = b.aesGcmSealDetached?.bind(b);
    if (detached) {
      it('its detached seal is aesGcmSeal split after the plaintext', async () => {
        const key = fromHex('11'.repeat(32));
        for (const n of [0, 1, 15, 16, 17, CHUNK]) {
          const nonce = streamNonce(n, n % 2 === 0);
          const aad = pattern(n % 5, n);
          const pt = pattern(n, 9);
          const [ct, tag] = await detached(key, nonce, aad, pt);
          assert.equal(ct.length, n);
          assert.equal(tag.length, 16);
          assert.equal(toHex(concat(ct, tag)), toHex(await b.aesGcmSeal(key, nonce, aad, pt)));
          assert.deepEqual(await b.aesGcmOpen(key, nonce, aad, concat(ct, tag)), pt);
        }
        await assert.rejects(
          detached(key.subarray(1), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)),
          ArgumentError,
        );
        await assert.rejects(
          detached(key, new Uint8Array(11), new Uint8Array(0), new Uint8Array(0)),
          ArgumentError,
        );
      });
    }

    it('opens chunks in order and refuses anything after the final one', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      const pt = pattern(CHUNK + 10);
      const sealed = await sealAll(b, key, pt);
      const o = new StreamOpener(b, key);
      assert.deepEqual(await o.open(sealed.subarray(0, SEALED), false), pt.subarray(0, CHUNK));
      assert.deepEqual(await o.open(sealed.subarray(SEALED), true), pt.subarray(CHUNK));
      assert.equal(o.done, true);
      await rejectsWith(o.open(sealed.subarray(SEALED), true), 'trailing');

      // The final chunk presented as non-final: wrong size and wrong nonce.
      const wrongFlag = new StreamOpener(b, key);
      await wrongFlag.open(sealed.subarray(0, SEALED), false);
      await rejectsWith(wrongFlag.open(sealed.subarray(SEALED), false), 'chunk');
      // Once failed, always failed: even the right chunk is refused now.
      await rejectsWith(wrongFlag.open(sealed.subarray(SEALED), true), 'chunk');

      const first = new StreamOpener(b, key);
      await rejectsWith(first.open(sealed.subarray(0, SEALED), true), 'chunk');
      await rejectsWith(new StreamOpener(b, key).open(new Uint8Array(15), true), 'truncated');
    });

    it('refuses an empty final chunk after a non-empty one even when it authenticates', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      const c0 = await new StreamSealer(b, key).seal(new Uint8Array(CHUNK), false);
      const emptyFinal = await b.aesGcmSeal(
        key,
        streamNonce(1, true),
        new Uint8Array(0),
        new Uint8Array(0),
      );
      const o = new StreamOpener(b, key);
      await o.open(c0, false);
      await rejectsWith(o.open(emptyFinal, true), 'empty-final');
      await rejectsWith(openAll(b, key, concat(c0, emptyFinal)), 'empty-final');
    });

    it('rejects overlapping calls on one encryptor', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      const enc = new StreamEncryptor(b, key);
      const first = enc.push(new Uint8Array(3 * CHUNK), () => undefined);
      await assert.rejects(
        enc.push(new Uint8Array(1), () => undefined),
        ArgumentError,
      );
      await first;
      await enc.end(() => undefined);
      await assert.rejects(
        enc.end(() => undefined),
        ArgumentError,
      );
    });
  });
}

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof StreamError, `expected StreamError, got ${String(e)}`);
    assert.equal(e.code, 'STREAM');
    assert.equal(e.reason, reason);
    return true;
  });
}

// Known answers for contentKey 00..1f, objectId f0 e0 .. 00, version 1 (also produced by
// referenceSeal above, which shares no code with src/stream).
const KAT_KEY = '8e405e89c38808d7face2a53f0226d2d8c51f25e3026e575f8cd73db66a2dbbd';
const KAT_EMPTY = '332446e5e2f9be2e082d28840653fa5a';
const KAT_HUSH = '26fad5e75afb8a35fe3d9d2d8d4f316b1ee3b292';
const KAT_BIG_SHA256 = 'd01b3668a317f49dfa47e4c8003575bc1f1beb573613879c4b7640f319f629dd';
