/**
 * Downloading a file version's blob through STREAM decryption (PROTOCOL.md 6.5, 10.5). Into
 * a file: the plaintext goes to `<out>.hush-part` (0600, next to the target) and only once
 * STREAM succeeded, the size matches and the SHA-256 equals the manifest's is it fsynced and
 * renamed over the target; any failure to verify deletes it. An interrupted download resumes
 * at the last whole STREAM chunk written (a `Range` request, the decryptor started at that
 * chunk's counter). Into a stream (stdout): the same checks, after the bytes were written.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import {
  equalBytes,
  sealedSize,
  STREAM_CHUNK_SIZE,
  STREAM_SEALED_CHUNK_SIZE,
  StreamDecryptor,
  StreamError,
  type CryptoBackend,
  type FileManifest,
  type StreamKey,
} from '@hush/core';
import type { Api } from '../api.js';
import { LocalStateError, NetworkError, VerificationError } from '../errors.js';
import { dropDownload, findDownload, saveDownload } from './file-journal.js';
import type { Progress } from './upload.js';

/** What a download needs to know of the verified file version. */
export interface DownloadPlan {
  readonly objectId: string;
  readonly version: number;
  readonly blobId: string;
  /** For messages: the file's name. */
  readonly name: string;
  readonly manifest: FileManifest;
  readonly key: StreamKey;
}

/** Receives plaintext pieces in order; resolves when they are written. */
type Sink = (pieces: readonly Uint8Array[]) => Promise<void>;

/** Plaintext is written out in batches of about this many bytes (fewer, larger writes). */
const BATCH = 1 << 20;
/**
 * The part file is flushed to disk in the background every this many bytes, so that the
 * fsync before the rename finds little left to write instead of the whole file.
 */
const FLUSH_EVERY = 64 << 20;

/** The size of the whole blob the relay announces, from `Content-Range` or `Content-Length`. */
function announcedSize(res: Response): number | undefined {
  const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
  const v = range ? range[1] : res.status === 200 ? res.headers.get('content-length') : null;
  return v !== null && v !== undefined && /^\d{1,16}$/.test(v) ? Number(v) : undefined;
}

function refuse(plan: DownloadPlan, why: string, cause?: unknown): VerificationError {
  return new VerificationError(
    cause instanceof StreamError ? cause.reason : 'file',
    `file ${plan.name} (${plan.objectId}) does not verify: ${why}`,
    { cause },
  );
}

/**
 * Streams the blob from STREAM chunk `start` on through the decryptor into `sink`, hashing
 * the plaintext into `hash`; checks the announced length, the STREAM end, the size and the
 * SHA-256. Network failures surface as NetworkError, everything else as VerificationError.
 */
async function fetchAndOpen(
  api: Api,
  b: CryptoBackend,
  plan: DownloadPlan,
  start: number,
  hash: Hash,
  sink: Sink,
  onProgress?: (p: Progress) => void,
): Promise<void> {
  const total = plan.manifest.size;
  const offset = start * STREAM_SEALED_CHUNK_SIZE;
  const res = await api.binary('GET', `/v1/blobs/${plan.blobId}`, {
    stream: true,
    ...(start > 0 ? { headers: { range: `bytes=${offset}-` } } : {}),
  });
  if ((start > 0 && res.status !== 206) || (start === 0 && res.status !== 200))
    throw refuse(plan, `the relay answered ${res.status} to a download`);
  const announced = announcedSize(res);
  if (announced !== sealedSize(total))
    throw refuse(
      plan,
      `the relay serves a blob of ${announced ?? 'unknown'} bytes, not the ${sealedSize(total)} a file of ${total} bytes has`,
    );
  const dec = new StreamDecryptor(b, plan.key, { startChunk: start });
  let done = start * STREAM_CHUNK_SIZE;
  const out: Uint8Array[] = [];
  let pending = 0;
  const keep = (p: Uint8Array) => {
    out.push(p);
    pending += p.length;
  };
  const drain = async (all: boolean) => {
    if (!all && pending < BATCH) return;
    const pieces = out.splice(0);
    for (const p of pieces) hash.update(p);
    done += pending;
    pending = 0;
    if (done > total) throw refuse(plan, 'the content is longer than the manifest says');
    await sink(pieces);
    onProgress?.({ done, total });
  };
  if (!res.body) throw refuse(plan, 'the relay sent no content');
  const body = (res.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const decrypting = async (f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      throw e instanceof StreamError ? refuse(plan, e.message, e) : e;
    }
  };
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await body.next();
    } catch (e) {
      throw new NetworkError(
        `the download of ${plan.name} was cut off: run the same command again to resume`,
        { cause: e },
      );
    }
    if (next.done) break;
    const piece = next.value;
    await decrypting(() => dec.push(piece, keep));
    await drain(false);
  }
  await decrypting(() => dec.end(keep));
  await drain(true);
  if (done !== total) throw refuse(plan, `it holds ${done} bytes, not ${total}`);
  if (!equalBytes(new Uint8Array(hash.digest()), plan.manifest.sha256))
    throw refuse(plan, 'its SHA-256 differs from the manifest');
}

/** Rehashes the first `length` bytes of the part file (a resumed download's verified prefix). */
async function rehash(fh: FileHandle, length: number, hash: Hash): Promise<void> {
  const buf = new Uint8Array(1 << 20);
  for (let pos = 0; pos < length;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - pos), pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, constants.O_RDONLY).catch(() => undefined);
  try {
    await h?.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    await h?.close();
  }
}

/**
 * Downloads into the file `out` (absolute), resuming an interrupted download of the same
 * version; the target appears only when the whole file verified.
 * @example
 * await downloadToFile(api, backend, home, plan, '/tmp/report.pdf', (p) => bar(p));
 */
export async function downloadToFile(
  api: Api,
  b: CryptoBackend,
  home: string,
  plan: DownloadPlan,
  out: string,
  onProgress?: (p: Progress) => void,
): Promise<{ resumedAt: number }> {
  const part = `${out}.hush-part`;
  const journal = {
    v: 1,
    out,
    objectId: plan.objectId,
    version: plan.version,
    blobId: plan.blobId,
  } as const;
  let start = 0;
  if (await findDownload(home, journal)) {
    const have = await lstat(part).then(
      (s) => s.size,
      () => 0,
    );
    start = Math.min(Math.floor(have / STREAM_CHUNK_SIZE), plan.manifest.chunkCount - 1);
  } else {
    await rm(part, { force: true });
    await saveDownload(home, journal);
  }
  const fh = await openPart(part, start > 0);
  try {
    await fh.truncate(start * STREAM_CHUNK_SIZE);
    const hash = createHash('sha256');
    await rehash(fh, start * STREAM_CHUNK_SIZE, hash);
    let pos = start * STREAM_CHUNK_SIZE;
    let flushing: Promise<void> = Promise.resolve();
    let unflushed = 0;
    const write: Sink = async (pieces) => {
      const left = [...pieces];
      while (left.length > 0) {
        const { bytesWritten } = await fh.writev(left, pos).catch((e: NodeJS.ErrnoException) => {
          throw new LocalStateError(`cannot write ${part} (${e.code ?? 'error'})`, { cause: e });
        });
        pos += bytesWritten;
        // A short write: drop what went out and go on with the rest.
        let skip = bytesWritten;
        while (left[0] && skip >= left[0].length) skip -= (left.shift() as Uint8Array).length;
        if (skip > 0 && left[0]) left[0] = left[0].subarray(skip);
        unflushed += bytesWritten;
      }
      if (unflushed >= FLUSH_EVERY) {
        // One flush at a time, running while the next bytes are fetched and decrypted.
        await flushing;
        flushing = fh.datasync();
        flushing.catch(() => undefined);
        unflushed = 0;
      }
    };
    await fetchAndOpen(api, b, plan, start, hash, write, onProgress);
    await flushing;
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    // A part file that failed to verify is worthless; one cut off by the network resumes.
    if (!(e instanceof NetworkError)) {
      await rm(part, { force: true });
      await dropDownload(home, out);
    }
    throw e;
  }
  await fh.close();
  await rename(part, out);
  await fsyncDir(dirname(out));
  await dropDownload(home, out);
  return { resumedAt: start * STREAM_CHUNK_SIZE };
}

/**
 * Opens the part file for writing without following a symbolic link at its path, so a link
 * planted there cannot redirect the plaintext to another file.
 */
async function openPart(part: string, resume: boolean): Promise<FileHandle> {
  const { O_RDWR, O_CREAT, O_TRUNC, O_NOFOLLOW } = constants;
  const flags = O_RDWR | O_NOFOLLOW | (resume ? 0 : O_CREAT | O_TRUNC);
  return open(part, flags, 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOOP')
      throw new LocalStateError(`${part} is a symbolic link: remove it, then run again`, {
        cause: e,
      });
    throw new LocalStateError(`cannot open ${part} (${e.code ?? 'error'})`, { cause: e });
  });
}

/**
 * Downloads into a stream (stdout). Nothing is resumable, and the bytes are written before
 * the end is verified: a failure rejects after them, and the consumer must discard them.
 * @example
 * await downloadToStream(api, backend, plan, process.stdout);
 */
export async function downloadToStream(
  api: Api,
  b: CryptoBackend,
  plan: DownloadPlan,
  to: Writable,
  onProgress?: (p: Progress) => void,
): Promise<void> {
  await fetchAndOpen(
    api,
    b,
    plan,
    0,
    createHash('sha256'),
    (pieces) =>
      new Promise<void>((resolve, reject) => {
        to.write(Buffer.concat([...pieces]), (err) => (err ? reject(err) : resolve()));
      }),
    onProgress,
  );
}
