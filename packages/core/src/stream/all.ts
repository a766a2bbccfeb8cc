/**
 * One-shot STREAM for buffers already in memory (small files, snippets, tests). Same
 * bytes and the same failure reasons as the streaming adapters.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, expectBytes } from '../bytes.js';
import { StreamSealer } from './chunk.js';
import { StreamDecryptor } from './codec.js';
import { STREAM_CHUNK_SIZE, sealedSize } from './format.js';
import type { StreamKey } from './key.js';

/**
 * Encrypts a whole plaintext; the result has {@link sealedSize}(plaintext.length) bytes.
 * @example
 * const key = await deriveStreamKey(backend, contentKey, objectId, 1);
 * const sealed = await sealAll(backend, key, utf8('hello'));
 */
export async function sealAll(
  b: CryptoBackend,
  key: StreamKey,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  expectBytes('plaintext', plaintext);
  const out = new Uint8Array(sealedSize(plaintext.length));
  const sealer = new StreamSealer(b, key);
  let at = 0;
  let off = 0;
  do {
    const end = Math.min(plaintext.length, off + STREAM_CHUNK_SIZE);
    for (const piece of await sealer.sealPieces(
      plaintext.subarray(off, end),
      end === plaintext.length,
    )) {
      out.set(piece, at);
      at += piece.length;
    }
    off = end;
  } while (!sealer.done);
  return out;
}

/**
 * Decrypts a whole STREAM ciphertext; throws StreamError (and returns nothing) unless
 * every chunk authenticated and the stream ended exactly at its final chunk.
 * @example const plaintext = await openAll(backend, key, sealed);
 */
export async function openAll(
  b: CryptoBackend,
  key: StreamKey,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const dec = new StreamDecryptor(b, key);
  const keep = (p: Uint8Array) => parts.push(p);
  await dec.push(sealed, keep);
  await dec.end(keep);
  return concat(...parts);
}
