import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import type { CryptoBackend } from '../src/backend/types.js';
import { concat, fromHex } from '../src/bytes.js';
import { openAll, sealAll } from '../src/stream/all.js';
import { StreamError, type StreamErrorReason } from '../src/stream/errors.js';
import {
  STREAM_CHUNK_SIZE as CHUNK,
  STREAM_SEALED_CHUNK_SIZE as SEALED,
  streamNonce,
} from '../src/stream/format.js';
import { deriveStreamKey, type StreamKey } from '../src/stream/key.js';
import { createDecryptStream } from '../src/stream/node.js';
import { decryptStream } from '../src/stream/web.js';
import { backends } from './backends.js';

const contentKey = fromHex('5f'.repeat(32));
const otherContentKey = fromHex('60'.repeat(32));
const objectId = fromHex('0123456789abcdef0123456789abcdef');

/** Splits a stream into its sealed chunks (the last one may be short). */
function chunks(ct: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < ct.length; i += SEALED) out.push(ct.subarray(i, i + SEALED));
  return out;
}

function at(list: readonly Uint8Array[], i: number): Uint8Array {
  const c = list[i];
  assert.ok(c, `chunk ${i} exists`);
  return c;
}

/** Cuts `b` into pieces of pseudo-random sizes (including empty ones) seeded by `seed`. */
function pieces(b: Uint8Array, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed * 2654435761 + 1;
  for (let off = 0; off < b.length;) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = x % 3 === 0 ? 0 : (x >>> 4) % (SEALED + 300);
    out.push(b.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function reasonOf(p: Promise<unknown>): Promise<StreamErrorReason | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof StreamError) return e.reason;
    throw e;
  }
}

async function viaWeb(b: CryptoBackend, key: StreamKey, input: Uint8Array[]): Promise<void> {
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of input) c.enqueue(p);
      c.close();
    },
  });
  const reader = src.pipeThrough(decryptStream(b, key)).getReader();
  while (!(await reader.read()).done);
}

async function viaNode(b: CryptoBackend, key: StreamKey, input: Uint8Array[]): Promise<void> {
  const sink = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  await pipeline(Readable.from(input), createDecryptStream(b, key), sink);
}

/** The reason every decryption API gives, so no API can classify differently. */
async function expectReason(
  b: CryptoBackend,
  key: StreamKey,
  ct: Uint8Array,
  reason: StreamErrorReason,
  label: string,
): Promise<void> {
  assert.equal(await reasonOf(openAll(b, key, ct)), reason, `${label}: openAll`);
  assert.equal(await reasonOf(viaWeb(b, key, pieces(ct, ct.length))), reason, `${label}: web`);
  assert.equal(await reasonOf(viaNode(b, key, pieces(ct, 7))), reason, `${label}: node`);
}

function flip(ct: Uint8Array, bit: number): Uint8Array {
  const t = ct.slice();
  t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
  return t;
}

for (const b of backends) {
  describe(`STREAM rejects (${b.name})`, () => {
    const setup = async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 2);
      const pt = b.randomBytes(3 * CHUNK + 100);
      const ct = await sealAll(b, key, pt);
      const full = await sealAll(b, key, b.randomBytes(2 * CHUNK));
      const empty = await sealAll(b, key, new Uint8Array(0));
      return { key, pt, ct, c: chunks(ct), full, empty };
    };

    it('every single-bit flip of a one-chunk stream, sampled flips of a multi-chunk one', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 2);
      const one = await sealAll(b, key, b.randomBytes(40));
      for (let bit = 0; bit < one.length * 8; bit++) {
        assert.equal(await reasonOf(openAll(b, key, flip(one, bit))), 'chunk', `bit ${bit}`);
      }
      const multi = await sealAll(b, key, b.randomBytes(2 * CHUNK + 100));
      const bits = new Set<number>();
      // Every chunk's first two bytes and last 18 (tag and the bytes before it), plus random.
      for (let start = 0; start < multi.length; start += SEALED) {
        const end = Math.min(multi.length, start + SEALED);
        for (let i = start * 8; i < (start + 2) * 8; i++) bits.add(i);
        for (let i = (end - 18) * 8; i < end * 8; i++) bits.add(i);
      }
      for (const x of b.randomBytes(64)) bits.add(Math.floor((x / 256) * multi.length * 8));
      for (const bit of bits) {
        assert.equal(await reasonOf(openAll(b, key, flip(multi, bit))), 'chunk', `bit ${bit}`);
      }
    });

    it('reordered, dropped and duplicated chunks', async () => {
      const { key, c } = await setup();
      const [c0, c1, c2, c3] = [at(c, 0), at(c, 1), at(c, 2), at(c, 3)];
      await expectReason(b, key, concat(c1, c0, c2, c3), 'chunk', 'swap 0,1');
      await expectReason(b, key, concat(c0, c2, c1, c3), 'chunk', 'swap 1,2');
      await expectReason(b, key, concat(c0, c1, c3, c2), 'chunk', 'final moved up');
      await expectReason(b, key, concat(c0, c2, c3), 'chunk', 'drop middle');
      await expectReason(b, key, concat(c1, c2, c3), 'chunk', 'drop first');
      await expectReason(b, key, concat(c0, c1, c1, c2, c3), 'chunk', 'duplicate middle');
      await expectReason(b, key, concat(c0, c0, c1, c2, c3), 'chunk', 'duplicate first');
    });

    it('truncation at a chunk boundary and inside a chunk', async () => {
      const { key, ct, c, full } = await setup();
      await expectReason(b, key, ct.subarray(0, SEALED), 'truncated', 'after chunk 0');
      await expectReason(b, key, ct.subarray(0, 3 * SEALED), 'truncated', 'final dropped');
      await expectReason(b, key, full.subarray(0, SEALED), 'truncated', 'full final dropped');
      // Inside a chunk, what is left is judged as the final chunk.
      await expectReason(b, key, ct.subarray(0, ct.length - 1), 'chunk', 'last byte cut');
      await expectReason(b, key, ct.subarray(0, SEALED + 1000), 'chunk', 'mid chunk 1');
      await expectReason(b, key, ct.subarray(0, SEALED + 5), 'truncated', 'under a tag left');
      await expectReason(b, key, ct.subarray(0, SEALED + 16), 'empty-final', 'a tag left');
      await expectReason(b, key, at(c, 0).subarray(0, 100), 'chunk', 'inside chunk 0');
    });

    it('empty and tiny ciphertexts', async () => {
      const { key } = await setup();
      await expectReason(b, key, new Uint8Array(0), 'truncated', 'empty');
      await expectReason(b, key, new Uint8Array(15), 'truncated', '15 bytes');
      await expectReason(b, key, new Uint8Array(16), 'chunk', '16 zero bytes');
    });

    it('trailing bytes after the final chunk', async () => {
      const { key, ct, full, empty } = await setup();
      await expectReason(b, key, concat(full, Uint8Array.of(0)), 'trailing', 'full final + 1');
      const fullFinal = full.subarray(SEALED);
      await expectReason(b, key, concat(full, fullFinal), 'trailing', 'full final twice');
      await expectReason(b, key, concat(full, b.randomBytes(SEALED + 1)), 'trailing', 'long');
      await expectReason(b, key, concat(empty, Uint8Array.of(0)), 'trailing', 'empty + 1');
      await expectReason(b, key, concat(empty, empty), 'trailing', 'empty twice');
      await expectReason(b, key, concat(empty, b.randomBytes(SEALED)), 'trailing', 'empty + long');
      // A short final chunk followed by bytes: the framing moves, so that chunk fails.
      await expectReason(b, key, concat(ct, Uint8Array.of(0)), 'chunk', 'short final + 1');
    });

    it('an empty final chunk after full ones', async () => {
      const { key, c } = await setup();
      const emptyFinal = await b.aesGcmSeal(
        key,
        streamNonce(1, true),
        new Uint8Array(0),
        new Uint8Array(0),
      );
      await expectReason(b, key, concat(at(c, 0), emptyFinal), 'empty-final', 'empty final');
    });

    it('chunks spliced from a stream with another content key, object id or version', async () => {
      const { key, pt, ct, c } = await setup();
      const other = await deriveStreamKey(b, otherContentKey, objectId, 2);
      const oc = chunks(await sealAll(b, other, pt));
      await expectReason(b, key, concat(at(c, 0), at(oc, 1), at(c, 2), at(c, 3)), 'chunk', 'mid');
      await expectReason(b, key, concat(at(c, 0), at(c, 1), at(c, 2), at(oc, 3)), 'chunk', 'fin');
      await expectReason(b, key, concat(at(oc, 0), at(c, 1), at(c, 2), at(c, 3)), 'chunk', '1st');
      const wrong = [
        await deriveStreamKey(
          b,
          contentKey,
          objectId.map((x) => x ^ 0x80),
          2,
        ),
        await deriveStreamKey(b, contentKey, objectId, 3),
        other,
      ];
      for (const [i, k] of wrong.entries()) {
        await expectReason(b, k, ct, 'chunk', `wrong key ${i}`);
        await expectReason(b, k, await sealAll(b, key, new Uint8Array(0)), 'chunk', `empty ${i}`);
      }
    });

    it('releases no plaintext of a chunk before it authenticated', async () => {
      const { key, pt, ct } = await setup();
      const bad = flip(ct, (2 * SEALED + 10) * 8);
      const got: Uint8Array[] = [];
      const reader = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bad);
          c.close();
        },
      })
        .pipeThrough(decryptStream(b, key))
        .getReader();
      await assert.rejects(async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          got.push(r.value);
        }
      }, StreamError);
      // Chunks 0 and 1 authenticated and were released; nothing of chunk 2 or later was.
      assert.deepEqual(concat(...got), pt.subarray(0, 2 * CHUNK));
    });
  });
}
