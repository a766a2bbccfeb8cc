/**
 * Blob chunk files on the local filesystem: `<dataDir>/blobs/<first 2 chars>/<blobId>/<n>`.
 *
 * A chunk body is streamed into a temp file in the chunk's own directory, hashed and
 * fsynced; it only becomes the file `<n>` by rename, and only becomes a chunk when its
 * `blob_chunks` row commits (blob-store.ts). A crash therefore leaves at worst a temp file or
 * an unreferenced `<n>` file, never a partial chunk that anyone can see.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fail, HttpError } from '../errors.js';

/** Temp files start with this prefix, so they can never be mistaken for a chunk `<n>`. */
export const TMP_PREFIX = '.tmp-';

/** A chunk index as a file name: canonical decimal. */
const CHUNK_NAME = /^(0|[1-9]\d*)$/;

/** The directory holding every blob. */
export function blobsRoot(dataDir: string): string {
  return join(dataDir, 'blobs');
}

/** The directory of one blob (ids are canonical base64url, so they are safe path segments). */
export function blobDir(dataDir: string, blobId: string): string {
  return join(blobsRoot(dataDir), blobId.slice(0, 2), blobId);
}

/** The file of chunk `n` of a blob. */
export function chunkPath(dataDir: string, blobId: string, n: number): string {
  return join(blobDir(dataDir, blobId), String(n));
}

/** A chunk body received into a temp file, durable but not yet a chunk. */
export interface ReceivedChunk {
  readonly tmp: string;
  readonly size: number;
  /** SHA-256 of the bytes, base64url. */
  readonly sha256: string;
}

/** Flushes a directory, so the entries created or renamed in it survive a power loss. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function ensureDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created === undefined) return;
  // Each directory mkdir created must itself be durable in its parent.
  for (let p = dir; ; p = dirname(p)) {
    await fsyncDir(dirname(p));
    if (p === created || dirname(p) === p) break;
  }
}

/**
 * Streams a request body into a fresh temp file next to where chunk `n` will live, with
 * constant memory; fails with HUSH_ERR_BODY_TOO_LARGE past `maxBytes` and with
 * HUSH_ERR_BAD_REQUEST for an empty body. The temp file is removed on any failure.
 *
 * @example
 * const got = await receiveChunk(dataDir, blobId, 0, req.raw, 8 << 20);
 * // ... commit it with placeChunk() inside the transaction, then discard(got.tmp)
 */
export async function receiveChunk(
  dataDir: string,
  blobId: string,
  n: number,
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<ReceivedChunk> {
  const dir = blobDir(dataDir, blobId);
  await ensureDir(dir);
  const tmp = join(dir, `${TMP_PREFIX}${n}-${randomBytes(8).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const piece of body) {
      size += piece.length;
      if (size > maxBytes)
        fail('HUSH_ERR_BODY_TOO_LARGE', `a chunk holds at most ${maxBytes} bytes`, { maxBytes });
      hash.update(piece);
      for (let off = 0; off < piece.length;) {
        const { bytesWritten } = await fh.write(piece, off, piece.length - off);
        off += bytesWritten;
      }
    }
    if (size === 0) fail('HUSH_ERR_BAD_REQUEST', 'a chunk holds at least one byte');
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await discard(tmp);
    throw asHttpError(e);
  }
  return { tmp, size, sha256: hash.digest('base64url') };
}

/** A client that hangs up mid-body, or a full disk, is a coded error, not an internal one. */
function asHttpError(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')
    return new HttpError('HUSH_ERR_BAD_REQUEST', 'the chunk body ended before its length');
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new HttpError('HUSH_ERR_UNAVAILABLE', 'the blob storage is full: retry later');
  return e;
}

/** Renames a received chunk to its final name and makes the rename durable. */
export async function placeChunk(tmp: string, final: string): Promise<void> {
  await rename(tmp, final);
  await fsyncDir(dirname(final));
}

/** Removes a file if it is still there. */
export async function discard(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Removes a blob's directory and everything in it. */
export async function removeBlobDir(dataDir: string, blobId: string): Promise<void> {
  await rm(blobDir(dataDir, blobId), { recursive: true, force: true });
}

/**
 * Removes whatever in a complete blob's directory is not one of its chunks: temp files
 * left by a crash or an aborted request, and stale files of an earlier blob with this id.
 */
export async function tidyBlobDir(
  dataDir: string,
  blobId: string,
  chunkCount: number,
): Promise<void> {
  const dir = blobDir(dataDir, blobId);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (CHUNK_NAME.test(name) && Number(name) < chunkCount) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** One stored chunk: index and size, in index order. */
export interface ChunkExtent {
  readonly n: number;
  readonly size: number;
}

/**
 * Streams bytes `start..end` (inclusive) of a blob whose chunks are `chunks` (in order,
 * starting at 0), opening one chunk file at a time: memory stays constant for any size. A
 * chunk file whose size differs from its row fails the stream (the response is cut short,
 * which a client sees as a length mismatch) instead of serving wrong bytes.
 */
export function readChunks(
  dataDir: string,
  blobId: string,
  chunks: readonly ChunkExtent[],
  start: number,
  end: number,
): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (const c of chunks) {
      const from = offset;
      offset += c.size;
      if (offset <= start) continue;
      if (from > end) break;
      const path = chunkPath(dataDir, blobId, c.n);
      if ((await stat(path)).size !== c.size)
        throw new Error(`stored chunk ${c.n} has the wrong size`);
      yield* createReadStream(path, {
        start: Math.max(0, start - from),
        end: Math.min(c.size - 1, end - from),
      }) as AsyncIterable<Buffer>;
    }
  }
  return Readable.from(bytes(), { objectMode: false, highWaterMark: 64 * 1024 });
}
