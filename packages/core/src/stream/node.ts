/**
 * STREAM as Node.js Transform streams (the only stream file that imports node:stream; it
 * is reached through `@hush/core/node`, never the browser entry). Backpressure is Node's:
 * a transform callback fires only after its chunks were pushed, and both sides buffer
 * about one chunk, so memory stays constant for any stream length. A large write (a 1 MiB
 * file read) is sealed or opened in one transform call, chunk after chunk.
 */
import { Transform } from 'node:stream';
import type { CryptoBackend } from '../backend/types.js';
import type { StreamStart } from './chunk.js';
import { StreamDecryptor, StreamEncryptor, type StreamEmit } from './codec.js';
import { STREAM_CHUNK_SIZE, STREAM_SEALED_CHUNK_SIZE } from './format.js';
import type { StreamKey } from './key.js';

interface Codec {
  push(input: Uint8Array, emit: StreamEmit): Promise<void>;
  end(emit: StreamEmit): Promise<void>;
}

function transformOf(codec: Codec, inSize: number, outSize: number): Transform {
  return new Transform({
    writableHighWaterMark: inSize,
    readableHighWaterMark: outSize,
    transform(chunk: Uint8Array, _encoding, callback) {
      codec.push(chunk, (c) => this.push(c)).then(() => callback(), callback);
    },
    flush(callback) {
      codec.end((c) => this.push(c)).then(() => callback(), callback);
    },
  });
}

/**
 * A Transform from plaintext to STREAM ciphertext. Output buffers need not line up with
 * chunks: with the node backend each chunk leaves as its ciphertext and then its 16-byte
 * tag, never joined, which spares a copy of every byte (a file writer takes them together
 * in one writev). `startChunk` resumes at a chunk (see StreamEncryptor).
 * @example
 * import { pipeline } from 'node:stream/promises';
 * await pipeline(createReadStream(src), createEncryptStream(nodeBackend, key), createWriteStream(dst));
 * // the rest of the stream from chunk 64 on:
 * await pipeline(
 *   createReadStream(src, { start: 64 * STREAM_CHUNK_SIZE }),
 *   createEncryptStream(nodeBackend, key, { startChunk: 64 }),
 *   upload,
 * );
 */
export function createEncryptStream(
  b: CryptoBackend,
  key: StreamKey,
  opts?: StreamStart,
): Transform {
  return transformOf(
    new StreamEncryptor(b, key, opts),
    STREAM_CHUNK_SIZE,
    STREAM_SEALED_CHUNK_SIZE,
  );
}

/**
 * A Transform from STREAM ciphertext to plaintext; it emits 'error' with a StreamError on
 * any failure. Output already written is then invalid as well: write to a temporary file
 * and rename it into place only after the pipeline resolved. `startChunk` resumes at a
 * chunk (see StreamDecryptor).
 * @example
 * await pipeline(createReadStream(src), createDecryptStream(nodeBackend, key), createWriteStream(tmp));
 * await rename(tmp, dst); // reached only when every chunk authenticated
 */
export function createDecryptStream(
  b: CryptoBackend,
  key: StreamKey,
  opts?: StreamStart,
): Transform {
  return transformOf(
    new StreamDecryptor(b, key, opts),
    STREAM_SEALED_CHUNK_SIZE,
    STREAM_CHUNK_SIZE,
  );
}
