/**
 * Byte-stream STREAM encryption and decryption on top of the chunk API: re-chunks writes
 * of any size, decides finality by one byte of lookahead and classifies failures
 * (PROTOCOL.md, STREAM failure cases). Shared by the web TransformStreams, the Node
 * Transforms and sealAll/openAll, so all of them accept and reject exactly the same input.
 */
import type { CryptoBackend } from '../backend/types.js';
import { expectBytes } from '../bytes.js';
import { ArgumentError } from '../errors.js';
import { openChunk, StreamOpener, StreamSealer, type StreamStart } from './chunk.js';
import { StreamError } from './errors.js';
import { STREAM_CHUNK_SIZE, STREAM_SEALED_CHUNK_SIZE, STREAM_TAG_SIZE } from './format.js';
import type { StreamKey } from './key.js';
import { Rechunker } from './rechunk.js';

/** Receives output chunks in order. */
export type StreamEmit = (out: Uint8Array) => void;

/** Rejects overlapping calls: the counter and the buffer are sequential state. */
class Sequential {
  #busy = false;
  #ended = false;

  async run<T>(end: boolean, f: () => Promise<T>): Promise<T> {
    if (this.#busy) throw new ArgumentError('stream calls must not overlap: await each one');
    if (this.#ended) throw new ArgumentError('stream already ended');
    this.#busy = true;
    this.#ended = end;
    try {
      return await f();
    } finally {
      this.#busy = false;
    }
  }
}

/**
 * Encrypts a byte stream written in pieces of any size. Memory: one chunk. With
 * `startChunk: k` it takes the plaintext from byte `k · STREAM_CHUNK_SIZE` on and emits the
 * stream from byte `k · STREAM_SEALED_CHUNK_SIZE` on, exactly as a run from chunk 0 would.
 * @example
 * const enc = new StreamEncryptor(backend, key);
 * for await (const piece of source) await enc.push(piece, (c) => out.push(c));
 * await enc.end((c) => out.push(c));
 */
export class StreamEncryptor {
  readonly #sealer: StreamSealer;
  readonly #chunks = new Rechunker(STREAM_CHUNK_SIZE);
  readonly #seq = new Sequential();

  constructor(b: CryptoBackend, key: StreamKey, opts?: StreamStart) {
    this.#sealer = new StreamSealer(b, key, opts);
  }

  /** Adds plaintext; emits every sealed chunk that is now known not to be the final one. */
  push(plaintext: Uint8Array, emit: StreamEmit): Promise<void> {
    expectBytes('plaintext', plaintext);
    return this.#seq.run(false, () =>
      this.#chunks.push(plaintext, (chunk) => this.#seal(chunk, false, emit)),
    );
  }

  /** Ends the plaintext; emits the final sealed chunk. */
  end(emit: StreamEmit): Promise<void> {
    return this.#seq.run(true, () => this.#seal(this.#chunks.rest(), true, emit));
  }

  /** A sealed chunk may come in pieces (ciphertext, tag): emitting them apart saves a copy. */
  async #seal(chunk: Uint8Array, final: boolean, emit: StreamEmit): Promise<void> {
    for (const piece of await this.#sealer.sealPieces(chunk, final)) emit(piece);
  }
}

/**
 * Decrypts a STREAM ciphertext written in pieces of any size. Plaintext of a chunk is
 * emitted only after that chunk authenticated, but a later chunk may still fail: treat the
 * output as invalid unless `end` resolves. Memory: one sealed chunk. With `startChunk: k`
 * it takes the stream from byte `k · STREAM_SEALED_CHUNK_SIZE` on (a resumed download) and
 * emits the plaintext from byte `k · STREAM_CHUNK_SIZE` on; it then vouches only for the
 * chunks it opened, so the caller must know the earlier ones authenticated.
 * @example
 * const dec = new StreamDecryptor(backend, key);
 * for await (const piece of source) await dec.push(piece, (p) => tmp.write(p));
 * await dec.end((p) => tmp.write(p)); // only now is the output valid
 */
export class StreamDecryptor {
  readonly #b: CryptoBackend;
  readonly #key: StreamKey;
  readonly #opener: StreamOpener;
  readonly #chunks = new Rechunker(STREAM_SEALED_CHUNK_SIZE);
  readonly #seq = new Sequential();
  #failed: StreamError | undefined;

  constructor(b: CryptoBackend, key: StreamKey, opts?: StreamStart) {
    this.#b = b;
    this.#key = key;
    this.#opener = new StreamOpener(b, key, opts);
  }

  /** Adds ciphertext; emits the plaintext of every chunk that authenticated as non-final. */
  push(sealed: Uint8Array, emit: StreamEmit): Promise<void> {
    expectBytes('sealed', sealed);
    return this.#guard(false, () =>
      this.#chunks.push(sealed, async (chunk) => {
        const index = this.#opener.counter;
        try {
          emit(await this.#opener.open(chunk, false));
        } catch (e) {
          throw await this.#classify(e, index, chunk, false);
        }
      }),
    );
  }

  /** Ends the ciphertext: opens the buffered rest as the final chunk and emits its plaintext. */
  end(emit: StreamEmit): Promise<void> {
    return this.#guard(true, async () => {
      const last = this.#chunks.rest();
      const index = this.#opener.counter;
      try {
        emit(await this.#opener.open(last, true));
      } catch (e) {
        throw await this.#classify(e, index, last, true);
      }
    });
  }

  /**
   * Refines a `chunk` failure by trial decryption at the same position, so that a clean
   * cut or an appendix gets its own reason (PROTOCOL.md, STREAM failure table). Runs only
   * on the failure path; trial plaintext is wiped, never released.
   */
  async #classify(e: unknown, index: number, chunk: Uint8Array, atEnd: boolean): Promise<unknown> {
    if (!(e instanceof StreamError) || e.reason !== 'chunk') return e;
    // A full chunk with more bytes after it that authenticates as final: the sealer ended
    // there and everything after it was appended.
    if (!atEnd && (await this.#opensAs(index, true, chunk))) {
      return new StreamError('trailing', index + 1);
    }
    // The last bytes are a whole chunk that authenticates as non-final: cut right after it.
    if (
      atEnd &&
      chunk.length === STREAM_SEALED_CHUNK_SIZE &&
      (await this.#opensAs(index, false, chunk))
    ) {
      return new StreamError('truncated', index + 1);
    }
    // The empty stream's only chunk, with bytes appended.
    if (
      index === 0 &&
      chunk.length > STREAM_TAG_SIZE &&
      (await this.#opensAs(0, true, chunk.subarray(0, STREAM_TAG_SIZE)))
    ) {
      return new StreamError('trailing', 1);
    }
    return e;
  }

  async #guard(end: boolean, f: () => Promise<void>): Promise<void> {
    if (this.#failed) throw new StreamError(this.#failed.reason, this.#failed.chunkIndex);
    try {
      await this.#seq.run(end, f);
    } catch (e) {
      if (e instanceof StreamError) this.#failed = e;
      throw e;
    }
  }

  /** Classification only: whether `sealed` authenticates at this position; plaintext is wiped. */
  async #opensAs(index: number, final: boolean, sealed: Uint8Array): Promise<boolean> {
    const p = await openChunk(this.#b, this.#key, index, final, sealed);
    p?.fill(0);
    return p !== undefined;
  }
}
