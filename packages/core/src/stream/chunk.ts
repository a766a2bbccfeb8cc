/**
 * Chunk-level STREAM: one AES-256-GCM call per chunk with the nonce carrying the chunk
 * index and the final flag (Hoang, Reyhanitabar, Rogaway, Vizar, "Online
 * Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015; as in age).
 * The caller decides which chunk is final; the byte-stream adapters do that for you.
 */
import type { CryptoBackend } from '../backend/types.js';
import { expectBytes } from '../bytes.js';
import { ArgumentError, OpenError } from '../errors.js';
import { StreamError } from './errors.js';
import {
  STREAM_CHUNK_SIZE,
  STREAM_SEALED_CHUNK_SIZE,
  STREAM_TAG_SIZE,
  streamNonce,
} from './format.js';
import type { StreamKey } from './key.js';

const NO_AAD = new Uint8Array(0);

/**
 * Where a sealer or opener starts: `startChunk` is the index of the first chunk it handles
 * (default 0). Resuming an interrupted transfer at chunk `k` seals or opens the same bytes
 * as the uninterrupted stream from byte `k · STREAM_CHUNK_SIZE` of the plaintext, or byte
 * `k · STREAM_SEALED_CHUNK_SIZE` of the ciphertext, on (PROTOCOL.md 6.3: the nonce is the
 * chunk index, nothing else carries state between chunks).
 */
export interface StreamStart {
  readonly startChunk?: number;
}

/** The checked start index: a safe integer of at least 0. */
function startChunkOf(opts: StreamStart | undefined): number {
  const k = opts?.startChunk ?? 0;
  if (!Number.isSafeInteger(k) || k < 0)
    throw new ArgumentError('startChunk must be a whole number of at least 0');
  return k;
}

/**
 * Seals chunks in order, numbering them from 0 (or from `startChunk`). Non-final chunks
 * must hold exactly {@link STREAM_CHUNK_SIZE} bytes; the final one 1..STREAM_CHUNK_SIZE
 * bytes, or 0 bytes only when it is chunk 0 (the empty plaintext). Nothing may follow the
 * final chunk.
 * @example
 * const s = new StreamSealer(backend, key);
 * const c0 = await s.seal(first64KiB, false);
 * const c1 = await s.seal(rest, true);
 * // resuming: the same bytes as c1, without sealing c0 again
 * const again = await new StreamSealer(backend, key, { startChunk: 1 }).seal(rest, true);
 */
export class StreamSealer {
  readonly #b: CryptoBackend;
  readonly #key: StreamKey;
  #counter: number;
  #done = false;

  constructor(b: CryptoBackend, key: StreamKey, opts?: StreamStart) {
    this.#b = b;
    this.#key = expectBytes('key', key, 32) as StreamKey;
    this.#counter = startChunkOf(opts);
  }

  /** The index of the next chunk (chunks sealed so far, plus `startChunk`). */
  get counter(): number {
    return this.#counter;
  }

  /** True once the final chunk has been sealed. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Seals the next chunk; resolves to ciphertext || 16-byte tag. Misuse (a wrong chunk
   * size, a call after the final chunk) throws ArgumentError at once, before any sealing.
   */
  seal(chunk: Uint8Array, final: boolean): Promise<Uint8Array> {
    return this.#b.aesGcmSeal(this.#key, this.#next(chunk, final), NO_AAD, chunk);
  }

  /**
   * Like {@link seal}, but resolves to the sealed chunk as consecutive pieces (ciphertext,
   * then tag, where the backend hands them out apart) so a stream writes them out without
   * joining them: one copy of every byte less. Their concatenation is what `seal` returns;
   * misuse throws as in `seal`.
   * @example
   * for (const piece of await s.sealPieces(chunk, false)) out.write(piece);
   */
  sealPieces(chunk: Uint8Array, final: boolean): Promise<readonly Uint8Array[]> {
    const nonce = this.#next(chunk, final);
    const b = this.#b;
    if (b.aesGcmSealDetached) return b.aesGcmSealDetached(this.#key, nonce, NO_AAD, chunk);
    return b.aesGcmSeal(this.#key, nonce, NO_AAD, chunk).then((sealed) => [sealed]);
  }

  /** Checks the chunk against the position and claims the position's nonce. */
  #next(chunk: Uint8Array, final: boolean): Uint8Array {
    expectBytes('chunk', chunk);
    if (this.#done) throw new ArgumentError('the final chunk was already sealed');
    if (final) {
      if (chunk.length > STREAM_CHUNK_SIZE || (chunk.length === 0 && this.#counter > 0)) {
        throw new ArgumentError(
          `final chunk must hold 1..${STREAM_CHUNK_SIZE} bytes (0 only for the empty stream)`,
        );
      }
    } else if (chunk.length !== STREAM_CHUNK_SIZE) {
      throw new ArgumentError(`non-final chunk must hold exactly ${STREAM_CHUNK_SIZE} bytes`);
    }
    // The counter moves before any await so overlapping calls can never share a nonce.
    const nonce = streamNonce(this.#counter, final);
    this.#counter++;
    this.#done = final;
    return nonce;
  }
}

/**
 * Opens chunks in order, numbering them from 0 (or from `startChunk`). The caller says
 * which chunk it believes is final (the byte-stream adapters decide by lookahead). After a
 * failure the opener stays failed; after the final chunk it refuses more input with reason
 * `trailing`.
 * @example
 * const o = new StreamOpener(backend, key);
 * const p0 = await o.open(sealed0, false);
 * const p1 = await o.open(sealed1, true);
 * // resuming a download after chunk 0 was written out:
 * const p1again = await new StreamOpener(backend, key, { startChunk: 1 }).open(sealed1, true);
 */
export class StreamOpener {
  readonly #b: CryptoBackend;
  readonly #key: StreamKey;
  #counter: number;
  #done = false;
  #failed: StreamError | undefined;

  constructor(b: CryptoBackend, key: StreamKey, opts?: StreamStart) {
    this.#b = b;
    this.#key = expectBytes('key', key, 32) as StreamKey;
    this.#counter = startChunkOf(opts);
  }

  /** The index of the next chunk (chunks opened so far, plus `startChunk`). */
  get counter(): number {
    return this.#counter;
  }

  /** True once the final chunk authenticated. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Opens the next chunk and returns its plaintext, released only once it authenticated.
   * Throws StreamError: `chunk` (does not authenticate here, or a non-final chunk of the
   * wrong size), `truncated` (a final chunk shorter than a tag), `empty-final`, `trailing`
   * (called after the final chunk).
   */
  async open(sealed: Uint8Array, final: boolean): Promise<Uint8Array> {
    expectBytes('sealed', sealed);
    if (this.#failed) throw new StreamError(this.#failed.reason, this.#failed.chunkIndex);
    const index = this.#counter;
    if (this.#done) return this.#fail(new StreamError('trailing', index));
    const layout = chunkLayoutError(sealed.length, final, index);
    if (layout) return this.#fail(layout);
    this.#counter++;
    this.#done = final;
    const plain = await openChunk(this.#b, this.#key, index, final, sealed);
    if (plain === undefined) {
      this.#done = false;
      return this.#fail(new StreamError('chunk', index));
    }
    return plain;
  }

  #fail(e: StreamError): never {
    this.#failed = e;
    throw e;
  }
}

/** The reason a chunk of this length can never be valid at this position, if any. */
function chunkLayoutError(length: number, final: boolean, index: number): StreamError | undefined {
  if (!final) {
    return length === STREAM_SEALED_CHUNK_SIZE ? undefined : new StreamError('chunk', index);
  }
  if (length < STREAM_TAG_SIZE) return new StreamError('truncated', index);
  if (length === STREAM_TAG_SIZE && index > 0) return new StreamError('empty-final', index);
  if (length > STREAM_SEALED_CHUNK_SIZE) return new StreamError('chunk', index);
  return undefined;
}

/**
 * Opens one chunk at a given position without any state; `undefined` when it does not
 * authenticate. Also used to classify a failure (would this chunk open as final?).
 */
export async function openChunk(
  b: CryptoBackend,
  key: StreamKey,
  index: number,
  final: boolean,
  sealed: Uint8Array,
): Promise<Uint8Array | undefined> {
  try {
    return await b.aesGcmOpen(key, streamNonce(index, final), NO_AAD, sealed);
  } catch (e) {
    if (e instanceof OpenError) return undefined;
    throw e;
  }
}
