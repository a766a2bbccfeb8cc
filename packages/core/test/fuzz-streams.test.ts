/**
 * Fuzzing STREAM decryption (PROTOCOL.md 6): single chunks through `StreamOpener`, whole
 * ciphertexts through `openAll`, chunk lists reordered, dropped, duplicated and spliced
 * between streams, and mutated ciphertexts fed in random pieces through the web and Node
 * stream adapters. Decryption succeeds only for the exact sealed bytes (giving the sealed
 * plaintext); everything else throws StreamError, and nothing hangs (the adapters are
 * awaited under the per-case timeout).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nodeBackend as b } from '../src/backend/node.js';
import { concat, equalBytes } from '../src/bytes.js';
import { openAll, sealAll } from '../src/stream/all.js';
import { StreamOpener } from '../src/stream/chunk.js';
import { StreamError } from '../src/stream/errors.js';
import { STREAM_CHUNK_SIZE as CHUNK, STREAM_SEALED_CHUNK_SIZE } from '../src/stream/format.js';
import { deriveStreamKey, type StreamKey } from '../src/stream/key.js';
import { createDecryptStream } from '../src/stream/node.js';
import { decryptStream } from '../src/stream/web.js';
import { fuzzParser, isOneOf, mutatedList, mutatedSeed } from './fuzz-kit.js';
import { cut, viaNode, viaWeb } from './stream-io.js';

const streamError = (e: unknown) => e instanceof StreamError;

/** The sealed chunks of a stream (every chunk but the last has the full sealed size). */
function chunksOf(sealed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < sealed.length; o += STREAM_SEALED_CHUNK_SIZE)
    out.push(sealed.subarray(o, o + STREAM_SEALED_CHUNK_SIZE));
  return out;
}

describe('fuzz: STREAM decryption', async () => {
  // One key per stream, as the protocol requires (a stream key belongs to one object
  // version): a case decrypts with the key of stream `i`, so chunks spliced in from any
  // other stream come from another key.
  const plaintexts = [0, 1, 1000, CHUNK, CHUNK + 1, 2 * CHUNK + 500].map((n) => b.randomBytes(n));
  const keys = await Promise.all(
    plaintexts.map(() => deriveStreamKey(b, b.randomBytes(32), b.randomBytes(16), 1)),
  );
  const sealed = await Promise.all(plaintexts.map((p, i) => sealAll(b, keys[i] as StreamKey, p)));
  const keyOf = (i: number) => keys[i] as StreamKey;

  const opensAsSealed = (i: number, x: Uint8Array, got: Uint8Array) => {
    assert.ok(isOneOf(x, [sealed[i] as Uint8Array]), 'a changed stream decrypted');
    assert.ok(equalBytes(got, plaintexts[i] as Uint8Array), 'decrypted to other plaintext');
  };

  it('single chunks: only a sealed first chunk at its position opens, else a StreamError', async () => {
    const firsts = sealed.map((s) => chunksOf(s)[0] ?? s);
    await fuzzParser({
      name: 'stream-chunk',
      input: fc.tuple(mutatedSeed(firsts), fc.boolean()).map(([[i, x], f]) => [i, x, f] as const),
      parse: ([i, x, final]) => new StreamOpener(b, keyOf(i)).open(x, final),
      accepted: ([i, x, final], got) => {
        assert.ok(isOneOf(x, [firsts[i] as Uint8Array]), 'a changed chunk opened');
        const whole = sealed[i] as Uint8Array;
        assert.equal(final, whole.length === x.length, 'a chunk opened with the wrong final flag');
        assert.ok(equalBytes(got, (plaintexts[i] as Uint8Array).subarray(0, got.length)));
      },
      typed: streamError,
    });
  });

  it('whole ciphertexts: openAll gives the sealed plaintext for the sealed bytes, else a StreamError', async () => {
    await fuzzParser({
      name: 'stream',
      input: mutatedSeed(sealed),
      parse: ([i, x]) => openAll(b, keyOf(i), x),
      accepted: ([i, x], got) => opensAsSealed(i, x, got),
      typed: streamError,
    });
  });

  it('chunk lists reordered, dropped, duplicated or spliced: refused with a StreamError', async () => {
    await fuzzParser({
      name: 'stream-chunks',
      input: mutatedList(sealed.map(chunksOf)).map(([i, l]) => [i, concat(...l)] as const),
      parse: ([i, x]) => openAll(b, keyOf(i), x),
      accepted: ([i, x], got) => opensAsSealed(i, x, got),
      typed: streamError,
    });
  });

  const adapters = {
    web: (key: StreamKey, input: Uint8Array[]) => viaWeb(decryptStream(b, key), input),
    node: (key: StreamKey, input: Uint8Array[]) => viaNode(createDecryptStream(b, key), input),
  };
  for (const [api, run] of Object.entries(adapters)) {
    it(`the ${api} stream adapter, in random pieces: sealed plaintext or a StreamError, never a hang`, async () => {
      await fuzzParser({
        name: `stream-${api}`,
        input: fc
          .tuple(
            mutatedSeed(sealed),
            fc.array(fc.nat(3 * STREAM_SEALED_CHUNK_SIZE), { maxLength: 5 }),
          )
          .map(([[i, x], at]) => [i, x, at] as const),
        parse: ([i, x, at]) => run(keyOf(i), cut(x, at)),
        accepted: ([i, x], got) => opensAsSealed(i, x, got),
        typed: streamError,
      });
    });
  }
});
