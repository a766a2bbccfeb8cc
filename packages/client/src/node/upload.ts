/**
 * Uploading a STREAM ciphertext as a resumable blob (docs/API.md "Blobs"): upload chunk `i`
 * holds STREAM chunks `64·i .. 64·i + 63` (4,195,328 bytes when full), sealed with the
 * counter started at `64·i`, so the chunks the relay already holds are never sealed again:
 * a rerun reads them only to rebuild the plaintext hash. Up to four upload chunks are on
 * the wire while the next is read and sealed (the relay fsyncs each one before it answers, so
 * more than one request keeps its disk busy); memory stays constant for any size.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  STREAM_CHUNK_SIZE,
  STREAM_TAG_SIZE,
  StreamSealer,
  type CryptoBackend,
  type StreamKey,
} from '@hush/core';
import type { Api } from '../api.js';
import { UsageError, VerificationError } from '../errors.js';

/** STREAM chunks per upload chunk. */
export const UPLOAD_CHUNK_STREAM_CHUNKS = 64;
/** Plaintext bytes of a full upload chunk (4 MiB). */
const UPLOAD_PLAIN = UPLOAD_CHUNK_STREAM_CHUNKS * STREAM_CHUNK_SIZE;
/** Upload chunk requests in flight at most. */
const IN_FLIGHT = 4;

/** Upload chunks of the blob of a plaintext of `size` bytes. */
export function uploadChunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / UPLOAD_PLAIN));
}

/** Transfer progress in plaintext bytes (`total` is unknown for a stream). */
export interface Progress {
  readonly done: number;
  readonly total: number | undefined;
}

/** Plaintext to upload: a file (its size known) or a stream read once. */
export interface PlainSource {
  readonly size: number | undefined;
  /** Fills `buf` from the current position; fewer bytes only at the end. */
  read(buf: Uint8Array): Promise<number>;
  /** Whether nothing follows the bytes read so far. */
  atEnd(): Promise<boolean>;
  close(): Promise<void>;
}

/** A file as a source of exactly `size` bytes (the size it had when the upload began). */
export async function fileSource(path: string, size: number): Promise<PlainSource> {
  const fh: FileHandle = await open(path, 'r');
  let pos = 0;
  return {
    size,
    async read(buf) {
      const want = Math.min(buf.length, size - pos);
      let n = 0;
      while (n < want) {
        const { bytesRead } = await fh.read(buf, n, want - n, pos + n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      pos += n;
      return n;
    },
    atEnd: async () => pos >= size,
    close: () => fh.close(),
  };
}

/** An async iterable of bytes (stdin) as a source; its size is known only at its end. */
export function streamSource(input: AsyncIterable<Uint8Array>): PlainSource {
  const it = input[Symbol.asyncIterator]();
  let carry: Uint8Array | undefined;
  let ended = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (carry) {
      const c = carry;
      carry = undefined;
      return c;
    }
    while (!ended) {
      const r = await it.next();
      if (r.done) ended = true;
      else if (r.value.length > 0) return r.value;
    }
    return undefined;
  };
  return {
    size: undefined,
    async read(buf) {
      let n = 0;
      while (n < buf.length) {
        const c = await next();
        if (!c) break;
        const take = Math.min(c.length, buf.length - n);
        buf.set(c.subarray(0, take), n);
        n += take;
        if (take < c.length) carry = c.subarray(take);
      }
      return n;
    },
    async atEnd() {
      const c = await next();
      if (!c) return true;
      carry = c;
      return false;
    },
    close: async () => {
      await it.return?.();
    },
  };
}

/** Where the blob goes: a team blob, or a direct blob with its readers. */
export type BlobTarget = { readonly teamId: string } | { readonly readers: readonly string[] };

/** What an upload proved about the plaintext it sent. */
export interface Uploaded {
  readonly size: number;
  readonly sha256: Uint8Array;
  /** Upload chunks sent in this run (the others were already on the relay). */
  readonly sent: number;
  readonly chunkCount: number;
}

interface Status {
  complete: boolean;
  present: number[];
  sizes: number[];
}

/** Sealed bytes of an upload chunk holding `n` plaintext bytes. */
function sealedLength(n: number): number {
  return n + STREAM_TAG_SIZE * Math.max(1, Math.ceil(n / STREAM_CHUNK_SIZE));
}

/** Seals the plaintext of upload chunk `i` (final: it ends the stream) into its pieces. */
async function sealUploadChunk(
  b: CryptoBackend,
  key: StreamKey,
  i: number,
  plain: Uint8Array,
  final: boolean,
): Promise<Uint8Array[]> {
  const sealer = new StreamSealer(b, key, { startChunk: i * UPLOAD_CHUNK_STREAM_CHUNKS });
  const pieces: Uint8Array[] = [];
  let off = 0;
  do {
    const end = Math.min(plain.length, off + STREAM_CHUNK_SIZE);
    pieces.push(
      ...(await sealer.sealPieces(plain.subarray(off, end), final && end === plain.length)),
    );
    off = end;
  } while (off < plain.length);
  return pieces;
}

/** Creates the upload (idempotent by id) and returns what the relay holds of it already. */
async function begin(api: Api, blobId: string, target: BlobTarget): Promise<Map<number, number>> {
  const created =
    'teamId' in target
      ? await api.request<{ complete: boolean }>('POST', `/v1/teams/${target.teamId}/blobs`, {
          blobId,
        })
      : await api.request<{ complete: boolean }>('POST', '/v1/blobs', {
          blobId,
          readers: target.readers,
        });
  if (typeof created?.complete !== 'boolean')
    throw new VerificationError('malformed', 'the relay sent a malformed upload answer');
  const st = await api.request<Status>('GET', `/v1/blobs/${blobId}/status`);
  if (!Array.isArray(st.present) || !Array.isArray(st.sizes))
    throw new VerificationError('malformed', 'the relay sent a malformed blob status');
  return new Map(st.present.map((n, k) => [n, st.sizes[k] ?? -1]));
}

/**
 * Encrypts `src` under `key` and uploads it as blob `blobId`, sending only the upload chunks
 * the relay does not hold yet, then completes the blob. Resolves with the plaintext's size
 * and SHA-256 (for the manifest).
 * @example
 * const src = await fileSource('/tmp/a.bin', size);
 * const r = await uploadBlob(api, backend, key, blobId, { teamId }, src, (p) => bar(p));
 */
export async function uploadBlob(
  api: Api,
  b: CryptoBackend,
  key: StreamKey,
  blobId: string,
  target: BlobTarget,
  src: PlainSource,
  onProgress?: (p: Progress) => void,
): Promise<Uploaded> {
  const present = await begin(api, blobId, target);
  const hash = createHash('sha256');
  // The sealed bytes on the wire are a copy, so one plaintext buffer serves every chunk while
  // earlier chunks' PUTs are still in flight.
  const buf = new Uint8Array(UPLOAD_PLAIN);
  const inFlight: Promise<unknown>[] = [];
  let done = 0;
  let sealedTotal = 0;
  let sent = 0;
  let i = 0;
  for (; ; i++) {
    const n = await src.read(buf);
    const final = n < buf.length || (await src.atEnd());
    if (src.size !== undefined && final && done + n !== src.size)
      throw new UsageError('the file changed while it was being sent: send it again');
    const body = buf.subarray(0, n);
    hash.update(body);
    const length = sealedLength(n);
    sealedTotal += length;
    const have = present.get(i);
    if (have !== undefined && have !== length)
      throw new VerificationError(
        'malformed',
        `the relay holds upload chunk ${i} with ${have} bytes, not ${length}`,
      );
    if (have === undefined) {
      const pieces = await sealUploadChunk(b, key, i, body, final);
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      const bytes = Buffer.concat(pieces);
      const put = api
        .binary('PUT', `/v1/blobs/${blobId}/chunks/${i}`, { bytes })
        .then((r) => r.arrayBuffer());
      // Awaited in order below; a failure meanwhile must not count as unhandled.
      put.catch(() => undefined);
      inFlight.push(put);
      sent++;
    }
    done += n;
    onProgress?.({ done, total: src.size });
    if (final) break;
  }
  for (const put of inFlight) await put;
  const chunkCount = i + 1;
  await api.request('POST', `/v1/blobs/${blobId}/complete`, { chunkCount, totalSize: sealedTotal });
  return { size: done, sha256: new Uint8Array(hash.digest()), sent, chunkCount };
}
