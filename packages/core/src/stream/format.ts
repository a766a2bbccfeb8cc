/**
 * STREAM framing (PROTOCOL.md, STREAM): chunk sizes, the per-chunk nonce and the size
 * arithmetic an uploader needs before it has encrypted anything.
 */
import { ArgumentError } from '../errors.js';
import { StreamError } from './errors.js';

/** Plaintext bytes in every chunk but the last. */
export const STREAM_CHUNK_SIZE = 65536;
/** AES-256-GCM tag bytes appended to each chunk. */
export const STREAM_TAG_SIZE = 16;
/** Bytes of a sealed full chunk: 65536 + 16. */
export const STREAM_SEALED_CHUNK_SIZE = STREAM_CHUNK_SIZE + STREAM_TAG_SIZE;

/**
 * The 12-byte nonce of chunk `counter`: 11-byte big-endian counter || flag, where the flag
 * is 0x01 on the final chunk and 0x00 otherwise. Counters above 2^53 - 1 are refused so
 * they stay exact as JS numbers (2^69 bytes of plaintext: no real stream gets there).
 * @example streamNonce(0, true) // 00 00 00 00 00 00 00 00 00 00 00 01
 */
export function streamNonce(counter: number, final: boolean): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new ArgumentError('stream chunk counter out of range');
  }
  const n = new Uint8Array(12);
  const dv = new DataView(n.buffer);
  // Bytes 0..2 of the 11-byte counter stay zero below 2^64; bytes 3..10 hold a u64.
  dv.setUint32(3, Math.floor(counter / 2 ** 32));
  dv.setUint32(7, counter >>> 0);
  n[11] = final ? 1 : 0;
  return n;
}

/**
 * Length of the STREAM ciphertext of a plaintext of `plaintextLength` bytes:
 * 16 for the empty plaintext, else the length plus 16 per chunk.
 * @example sealedSize(65536) === 65552; sealedSize(65537) === 65569
 */
export function sealedSize(plaintextLength: number): number {
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) {
    throw new ArgumentError('plaintext length must be a non-negative safe integer');
  }
  const chunks = Math.max(1, Math.ceil(plaintextLength / STREAM_CHUNK_SIZE));
  const out = plaintextLength + chunks * STREAM_TAG_SIZE;
  if (!Number.isSafeInteger(out)) throw new ArgumentError('plaintext length too large');
  return out;
}

/**
 * The inverse of {@link sealedSize}: the plaintext length a STREAM ciphertext of
 * `sealedLength` bytes decrypts to. A length no valid stream has throws the StreamError
 * that decrypting such a stream would give (`truncated` or `empty-final`); a valid length
 * says nothing about authenticity.
 * @example plaintextSize(65569) === 65537
 */
export function plaintextSize(sealedLength: number): number {
  if (!Number.isSafeInteger(sealedLength) || sealedLength < 0) {
    throw new ArgumentError('sealed length must be a non-negative safe integer');
  }
  if (sealedLength === STREAM_TAG_SIZE) return 0;
  const full = Math.floor(sealedLength / STREAM_SEALED_CHUNK_SIZE);
  const rest = sealedLength % STREAM_SEALED_CHUNK_SIZE;
  if (rest === 0) {
    if (full === 0) throw new StreamError('truncated');
    return full * STREAM_CHUNK_SIZE;
  }
  if (rest < STREAM_TAG_SIZE) throw new StreamError('truncated');
  if (rest === STREAM_TAG_SIZE) throw new StreamError('empty-final');
  return full * STREAM_CHUNK_SIZE + rest - STREAM_TAG_SIZE;
}
