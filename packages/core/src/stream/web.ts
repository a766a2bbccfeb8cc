/**
 * STREAM as WHATWG TransformStreams, for browsers and any runtime with web streams.
 * Writes of any size are re-chunked. Each transform call handles one write, so memory is
 * one chunk plus the output of the largest single write.
 */
import type { CryptoBackend } from '../backend/types.js';
import type { StreamStart } from './chunk.js';
import { StreamDecryptor, StreamEncryptor } from './codec.js';
import type { StreamKey } from './key.js';

/**
 * Plaintext in, STREAM ciphertext out; `startChunk` resumes at a chunk (StreamEncryptor).
 * @example
 * const key = await deriveStreamKey(backend, contentKey, objectId, version);
 * await file.stream().pipeThrough(encryptStream(backend, key)).pipeTo(upload);
 */
export function encryptStream(
  b: CryptoBackend,
  key: StreamKey,
  opts?: StreamStart,
): TransformStream<Uint8Array, Uint8Array> {
  const enc = new StreamEncryptor(b, key, opts);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => enc.push(chunk, (c) => controller.enqueue(c)),
    flush: (controller) => enc.end((c) => controller.enqueue(c)),
  });
}

/**
 * STREAM ciphertext in, plaintext out. The readable side errors with a StreamError on any
 * failure; plaintext already read is then invalid too, so consumers must stage the output
 * (a temporary file, a buffer) and commit it only after the stream closed without error.
 * `startChunk` resumes at a chunk (StreamDecryptor).
 * @example
 * await download.pipeThrough(decryptStream(backend, key)).pipeTo(tempFileWriter);
 * // only now rename the temporary file into place
 */
export function decryptStream(
  b: CryptoBackend,
  key: StreamKey,
  opts?: StreamStart,
): TransformStream<Uint8Array, Uint8Array> {
  const dec = new StreamDecryptor(b, key, opts);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => dec.push(chunk, (c) => controller.enqueue(c)),
    flush: (controller) => dec.end((c) => controller.enqueue(c)),
  });
}
