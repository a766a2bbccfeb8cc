import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CryptoBackend } from '../src/backend/types.js';
import { fromHex } from '../src/bytes.js';
import { deriveStreamKey, type StreamKey } from '../src/stream/key.js';
import { createDecryptStream, createEncryptStream } from '../src/stream/node.js';
import { backends } from './backends.js';

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;

// V8 lets tens of MiB of dead external buffers pile up before collecting them, which
// would swamp the measurement; collecting now and then makes rss follow live memory.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Pipes `total` bytes through an encrypt and a decrypt Transform, checks the output equals
 * the input, and returns the largest rss seen above the rss at the start.
 */
async function roundTrip(b: CryptoBackend, key: StreamKey, total: number): Promise<number> {
  const base = b.randomBytes(MiB);
  const sizes = [65536, 1000, 100_003, 7, 65552];
  const inHash = createHash('sha256');
  let produced = 0;
  function* source(): Generator<Uint8Array> {
    // Views into one buffer, of uneven sizes so that chunk boundaries never line up.
    for (let i = 0; produced < total; i++) {
      const len = Math.min(sizes[i % sizes.length] as number, total - produced);
      const off = (i * 7919) % (base.length - len);
      const piece = base.subarray(off, off + len);
      inHash.update(piece);
      produced += len;
      yield piece;
    }
  }
  gc();
  const start = process.memoryUsage().rss;
  let peak = start;
  let received = 0;
  let n = 0;
  const outHash = createHash('sha256');
  const sink = new Writable({
    highWaterMark: 65536,
    write(chunk: Uint8Array, _encoding, callback) {
      outHash.update(chunk);
      received += chunk.length;
      if (++n % 256 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      callback();
    },
  });
  await pipeline(
    Readable.from(source(), { objectMode: false, highWaterMark: 65536 }),
    createEncryptStream(b, key),
    createDecryptStream(b, key),
    sink,
  );
  gc();
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.equal(received, total);
  assert.equal(outHash.digest('hex'), inHash.digest('hex'));
  return peak - start;
}

/**
 * A memory assertion, not a timing one: after a warm-up that lets the allocator reach its
 * steady state, 256 MiB through the Transforms must not grow the resident set by more
 * than a bound far below the stream length (an implementation that kept the stream, or
 * leaked per chunk, would grow by hundreds of MiB).
 */
for (const b of backends) {
  describe(`STREAM memory (${b.name})`, () => {
    it('encrypts and decrypts 256 MiB with bounded memory growth', async () => {
      const key = await deriveStreamKey(b, fromHex('42'.repeat(32)), fromHex('07'.repeat(16)), 1);
      await roundTrip(b, key, 32 * MiB);
      const growth = await roundTrip(b, key, 256 * MiB);
      assert.ok(growth < LIMIT, `rss grew by ${(growth / MiB).toFixed(1)} MiB`);
    });
  });
}
