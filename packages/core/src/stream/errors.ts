/**
 * The one error STREAM decryption raises. Every reason means the same thing to a caller:
 * the whole output is invalid and must be discarded. The reason exists for diagnostics and
 * tests (age's "payload failure" class, split finer); an attacker who controls the bytes
 * can choose which reason appears, so never branch security decisions on it.
 */
import { HushError } from '../errors.js';

/**
 * Why a stream was rejected (PROTOCOL.md, STREAM failure cases):
 * - `chunk`: a chunk did not authenticate at its position (tampered, reordered, dropped,
 *   duplicated, spliced from another stream or key, or a final chunk cut short).
 * - `truncated`: the input ended before a final chunk authenticated (empty input, fewer
 *   than 16 bytes left, or a stream cut exactly after a non-final chunk).
 * - `trailing`: bytes follow a chunk that authenticates as the final one.
 * - `empty-final`: an empty final chunk after non-empty chunks (only the empty plaintext
 *   has an empty final chunk).
 */
export type StreamErrorReason = 'chunk' | 'truncated' | 'trailing' | 'empty-final';

const MESSAGES: Readonly<Record<StreamErrorReason, string>> = {
  chunk: 'stream chunk did not authenticate',
  truncated: 'stream is truncated: it ends before its final chunk',
  trailing: 'stream has trailing bytes after its final chunk',
  'empty-final': 'stream has an empty final chunk after non-empty chunks',
};

/**
 * A STREAM ciphertext was rejected. Code `STREAM`; `reason` says which check failed.
 * Messages carry at most a chunk index, never key material or plaintext.
 * @example
 * try {
 *   await openAll(backend, key, sealed);
 * } catch (e) {
 *   if (e instanceof StreamError) console.error(`rejected (${e.reason})`);
 * }
 */
export class StreamError extends HushError {
  /** Which failure class this is; see {@link StreamErrorReason}. */
  readonly reason: StreamErrorReason;
  /** Index of the chunk position where the failure was detected, when there is one. */
  readonly chunkIndex: number | undefined;
  constructor(reason: StreamErrorReason, chunkIndex?: number, options?: { cause?: unknown }) {
    const at = chunkIndex === undefined ? '' : ` (chunk ${chunkIndex})`;
    super('STREAM', MESSAGES[reason] + at, options);
    this.reason = reason;
    this.chunkIndex = chunkIndex;
  }
}
