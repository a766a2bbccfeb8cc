/**
 * Resuming STREAM at a chunk counter (`startChunk`): a stream sealed in two parts, the
 * second started at chunk k, is byte-identical to the stream sealed at once, through every
 * API; a download decrypted in two parts gives the plaintext back; a resumed reader still
 * rejects what a reader from chunk 0 rejects at those positions.
 */
import assert from 'node:assert/strict';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CryptoBackend } from '../src/backend/types.js';
import { concat, fromHex } from '../src/bytes.js';
import { ArgumentError } from '../src/errors.js';
import { sealAll } from '../src/stream/all.js';
import { StreamOpener, StreamSealer, type StreamStart } from '../src/stream/chunk.js';
import { StreamDecryptor, StreamEncryptor } from '../src/stream/codec.js';
import { StreamError } from '../src/stream/errors.js';
import {
  STREAM_CHUNK_SIZE as CHUNK,
  STREAM_SEALED_CHUNK_SIZE as SEALED,
} from '../src/stream/format.js';
import { deriveStreamKey, type StreamKey } from '../src/stream/key.js';
import { createDecryptStream, createEncryptStream } from '../src/stream/node.js';
import { decryptStream, encryptStream } from '../src/stream/web.js';
import { backends } from './backends.js';

const contentKey = fromHex('5e'.repeat(32));
const objectId = fromHex('0f1e2d3c4b5a69788796a5b4c3d2e1f0');

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + seed + (i >> 10)) & 0xff;
  return out;
}

/** Runs a codec over pieces; `end: false` stops without ending, as an interrupted run does. */
async function runCodec(
  codec: StreamEncryptor | StreamDecryptor,
  pieces: Uint8Array[],
  end = true,
): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const keep = (c: Uint8Array) => out.push(c.slice());
  for (const p of pieces) await codec.push(p, keep);
  if (end) await codec.end(keep);
  return concat(...out);
}

async function viaWeb(t: TransformStream<Uint8Array, Uint8Array>, input: Uint8Array) {
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(input);
      c.close();
    },
  });
  const out: Uint8Array[] = [];
  const reader = src.pipeThrough(t).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
  return concat(...out);
}

async function viaNode(t: Transform, input: Uint8Array) {
  const out: Uint8Array[] = [];
  const sink = new Writable({
    write(c: Uint8Array, _encoding, callback) {
      out.push(c);
      callback();
    },
  });
  await pipeline(Readable.from([input]), t, sink);
  return concat(...out);
}

type Rest = (
  b: CryptoBackend,
  key: StreamKey,
  input: Uint8Array,
  o: StreamStart,
) => Promise<Uint8Array>;

/** The second, resumed part through each API. */
const encryptRest: Record<string, Rest> = {
  codec: (b, k, p, o) => runCodec(new StreamEncryptor(b, k, o), [p]),
  web: (b, k, p, o) => viaWeb(encryptStream(b, k, o), p),
  node: (b, k, p, o) => viaNode(createEncryptStream(b, k, o), p),
};
const decryptRest: Record<string, Rest> = {
  codec: (b, k, p, o) => runCodec(new StreamDecryptor(b, k, o), [p]),
  web: (b, k, p, o) => viaWeb(decryptStream(b, k, o), p),
  node: (b, k, p, o) => viaNode(createDecryptStream(b, k, o), p),
};

const chunks = (n: number) => Math.max(1, Math.ceil(n / CHUNK));
const size = fc.oneof(
  fc.constantFrom(0, 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK, 3 * CHUNK + 5),
  fc.integer({ min: 0, max: 4 * CHUNK }),
);

for (const b of backends) {
  describe(`STREAM resumed at a chunk (${b.name})`, () => {
    it('a stream sealed in two parts, the second from chunk k, is the stream sealed at once', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 3);
      await fc.assert(
        fc.asyncProperty(size, fc.nat(), fc.nat(255), async (n, pick, seed) => {
          const pt = pattern(n, seed);
          const whole = await sealAll(b, key, pt);
          const k = pick % chunks(n);
          // Part one is interrupted: it saw one byte past chunk k - 1, so it emitted chunks
          // 0..k-1 and never ended.
          const first = await runCodec(
            new StreamEncryptor(b, key),
            [pt.subarray(0, Math.min(n, k * CHUNK + 1))],
            false,
          );
          assert.equal(first.length, k * SEALED);
          for (const [api, rest] of Object.entries(encryptRest)) {
            const second = await rest(b, key, pt.subarray(k * CHUNK), { startChunk: k });
            assert.deepEqual(concat(first, second), whole, `${api}: size ${n}, k ${k}`);
          }
        }),
        { numRuns: 20 },
      );
    });

    it('a download decrypted in two parts, the second from chunk k, gives the plaintext', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 3);
      await fc.assert(
        fc.asyncProperty(size, fc.nat(), async (n, pick) => {
          const pt = pattern(n, n);
          const sealed = await sealAll(b, key, pt);
          const k = pick % chunks(n);
          const first = await runCodec(
            new StreamDecryptor(b, key),
            [sealed.subarray(0, Math.min(sealed.length, k * SEALED + 1))],
            false,
          );
          assert.deepEqual(first, pt.subarray(0, k * CHUNK));
          for (const [api, rest] of Object.entries(decryptRest)) {
            const second = await rest(b, key, sealed.subarray(k * SEALED), { startChunk: k });
            assert.deepEqual(concat(first, second), pt, `${api}: size ${n}, k ${k}`);
          }
        }),
        { numRuns: 20 },
      );
    });

    it('the chunk API at a start counter seals and opens the same chunk bytes', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 1);
      const pt = pattern(3 * CHUNK + 9, 4);
      const whole = await sealAll(b, key, pt);
      const sealer = new StreamSealer(b, key, { startChunk: 2 });
      assert.equal(sealer.counter, 2);
      const c2 = await sealer.seal(pt.subarray(2 * CHUNK, 3 * CHUNK), false);
      const c3 = await sealer.seal(pt.subarray(3 * CHUNK), true);
      assert.deepEqual(concat(c2, c3), whole.subarray(2 * SEALED));
      const opener = new StreamOpener(b, key, { startChunk: 3 });
      assert.deepEqual(await opener.open(c3, true), pt.subarray(3 * CHUNK));
      assert.equal(opener.done, true);
    });

    it('a resumed reader rejects a wrong start, a spliced or cut rest, and an empty final chunk', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 1);
      const pt = pattern(3 * CHUNK, 8);
      const sealed = await sealAll(b, key, pt);
      const rest = (k: number, bytes: Uint8Array) =>
        runCodec(new StreamDecryptor(b, key, { startChunk: k }), [bytes]);
      const reason = (r: string) => (e: unknown) => e instanceof StreamError && e.reason === r;
      // The rest from chunk 1, read as if it started at chunk 2 (or 0): nothing opens.
      await assert.rejects(rest(2, sealed.subarray(SEALED)), reason('chunk'));
      await assert.rejects(rest(0, sealed.subarray(SEALED)), reason('chunk'));
      // Another version's rest at the right position.
      const other = await sealAll(b, await deriveStreamKey(b, contentKey, objectId, 2), pt);
      await assert.rejects(rest(1, other.subarray(SEALED)), reason('chunk'));
      // Cut right after chunk 1, resumed at chunk 1.
      await assert.rejects(rest(1, sealed.subarray(SEALED, 2 * SEALED)), reason('truncated'));
      // Nothing left but 16 bytes at chunk 3: an empty final chunk after chunks.
      const s = new StreamSealer(b, key, { startChunk: 3 });
      assert.throws(() => s.seal(new Uint8Array(0), true), ArgumentError);
      await assert.rejects(rest(3, new Uint8Array(16)), reason('empty-final'));
    });

    it('refuses a start that is not a whole number of at least 0', () => {
      for (const startChunk of [-1, 1.5, Number.NaN, 2 ** 53])
        assert.throws(
          () => new StreamSealer(b, new Uint8Array(32) as StreamKey, { startChunk }),
          ArgumentError,
        );
      assert.throws(
        () => new StreamOpener(b, new Uint8Array(32) as StreamKey, { startChunk: -2 }),
        ArgumentError,
      );
    });
  });
}
