import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CryptoBackend } from '../src/backend/types.js';
import { concat, fromHex } from '../src/bytes.js';
import { openAll, sealAll } from '../src/stream/all.js';
import { StreamError } from '../src/stream/errors.js';
import { sealedSize, STREAM_CHUNK_SIZE as CHUNK } from '../src/stream/format.js';
import { deriveStreamKey, type StreamKey } from '../src/stream/key.js';
import { createDecryptStream, createEncryptStream } from '../src/stream/node.js';
import { decryptStream, encryptStream } from '../src/stream/web.js';
import { backends } from './backends.js';
import { cut, viaNode, viaWeb } from './stream-io.js';

const contentKey = fromHex('a1'.repeat(32));
const objectId = fromHex('00112233445566778899aabbccddeeff');

type Api = 'all' | 'web' | 'node';
type Run = (b: CryptoBackend, key: StreamKey, pieces: Uint8Array[]) => Promise<Uint8Array>;

const encrypt: Record<Api, Run> = {
  all: (b, k, p) => sealAll(b, k, concat(...p)),
  web: (b, k, p) => viaWeb(encryptStream(b, k), p),
  node: (b, k, p) => viaNode(createEncryptStream(b, k), p),
};
const decrypt: Record<Api, Run> = {
  all: (b, k, p) => openAll(b, k, concat(...p)),
  web: (b, k, p) => viaWeb(decryptStream(b, k), p),
  node: (b, k, p) => viaNode(createDecryptStream(b, k), p),
};

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 167 + seed + (i >> 9)) & 0xff;
  return out;
}

const edgeSizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK];
const size = fc.oneof(fc.constantFrom(...edgeSizes), fc.integer({ min: 0, max: 3 * CHUNK + 7 }));
const cuts = fc.array(fc.integer({ min: 0, max: 4 * CHUNK }), { maxLength: 6 });
const apis: Api[] = ['all', 'web', 'node'];

for (const b of backends) {
  describe(`STREAM APIs (${b.name})`, () => {
    it('every encrypt API produces the same bytes for any write split', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      await fc.assert(
        fc.asyncProperty(size, cuts, fc.nat(255), async (n, at, seed) => {
          const pt = pattern(n, seed);
          const expected = await sealAll(b, key, pt);
          assert.equal(expected.length, sealedSize(n));
          for (const api of apis) {
            const got = await encrypt[api](b, key, cut(pt, at));
            assert.deepEqual(got, expected, `${api} size ${n}`);
          }
        }),
        { numRuns: 25 },
      );
    });

    it('every decrypt API round-trips for any read split, crossing APIs', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      await fc.assert(
        fc.asyncProperty(
          size,
          cuts,
          cuts,
          fc.constantFrom(...apis),
          fc.constantFrom(...apis),
          async (n, inCuts, outCuts, enc, dec) => {
            const pt = pattern(n, n);
            const sealed = await encrypt[enc](b, key, cut(pt, inCuts));
            const back = await decrypt[dec](b, key, cut(sealed, outCuts));
            assert.deepEqual(back, pt, `${enc} -> ${dec}, size ${n}`);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('round-trips the edge sizes through node Transform into a web stream and back', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 9);
      for (const n of edgeSizes) {
        const pt = pattern(n, 3);
        const sealed = await encrypt.node(b, key, cut(pt, [1, CHUNK - 3, CHUNK + 2]));
        assert.deepEqual(await decrypt.web(b, key, cut(sealed, [17, 40000])), pt);
        const again = await encrypt.web(b, key, [pt]);
        assert.deepEqual(await decrypt.node(b, key, [again]), pt);
      }
    });

    it('node and web streams error with a StreamError and the pipeline rejects', async () => {
      const key = await deriveStreamKey(b, contentKey, objectId, 0);
      const sealed = await sealAll(b, key, pattern(2 * CHUNK, 1));
      await assert.rejects(
        decrypt.node(b, key, [sealed.subarray(0, sealed.length - 1)]),
        StreamError,
      );
      await assert.rejects(
        decrypt.web(b, key, [sealed.subarray(0, sealed.length - 1)]),
        StreamError,
      );
    });
  });
}
