/**
 * Transfer journals in the home, so an interrupted `files.put` or `files.get` continues where
 * it stopped. `uploads/<objectId>.json` is written before the first request of an upload and
 * holds the ids, the content key (sealed like team keys, state.ts) and, once the blob is
 * complete, the sealed manifest; `downloads/<hash of the target path>.json` names the file
 * version a `.hush-part` file belongs to. Both are 0600 and written atomically.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { OutboxEntry } from './outbox.js';
import { listDir, readJson, removeFile, writeJsonAtomic } from './atomic.js';

/** An upload in progress. */
export interface UploadJournal {
  readonly v: 1;
  readonly objectId: string;
  readonly blobId: string;
  /** The content key, sealed with the identity's state key (`c:` or `s:` form, state.ts). */
  readonly contentKey: string;
  /** The team id, or `@<principal id>` for a direct file. */
  readonly target: string;
  /** Direct files: who may read the blob (the recipient). */
  readonly readers?: readonly string[];
  /** The absolute path of the source file (uploads from a stream are not journalled). */
  readonly path: string;
  readonly size: number;
  readonly mtime: number;
  readonly name: string;
  readonly mediaType: string;
  /** The plaintext's SHA-256 (hex), once the blob is complete. */
  readonly sha256?: string;
  /** The sealed manifest, once the blob is complete: posted again as is on a rerun. */
  readonly entry?: OutboxEntry;
}

/** A download in progress into `part`. */
export interface DownloadJournal {
  readonly v: 1;
  readonly out: string;
  readonly objectId: string;
  readonly version: number;
  readonly blobId: string;
}

const uploadsDir = (home: string) => join(home, 'uploads');

function uploadFile(home: string, objectId: string): string {
  return join(uploadsDir(home), `${objectId}.json`);
}

function isUpload(v: unknown): v is UploadJournal {
  const j = v as Partial<UploadJournal> | undefined;
  return (
    j?.v === 1 &&
    typeof j.objectId === 'string' &&
    typeof j.blobId === 'string' &&
    typeof j.contentKey === 'string' &&
    typeof j.target === 'string' &&
    typeof j.path === 'string' &&
    typeof j.size === 'number' &&
    typeof j.mtime === 'number' &&
    typeof j.name === 'string' &&
    typeof j.mediaType === 'string'
  );
}

/** The journal of an earlier, interrupted run of the same put (same file, size, mtime, target, name). */
export async function findUpload(
  home: string,
  want: Pick<UploadJournal, 'target' | 'path' | 'size' | 'mtime' | 'name' | 'mediaType'>,
): Promise<UploadJournal | undefined> {
  for (const f of await listDir(uploadsDir(home))) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue;
    const j = await readJson(join(uploadsDir(home), f));
    if (
      isUpload(j) &&
      j.target === want.target &&
      j.path === want.path &&
      j.size === want.size &&
      j.mtime === want.mtime &&
      j.name === want.name &&
      j.mediaType === want.mediaType
    )
      return j;
  }
  return undefined;
}

/** Writes (or rewrites) an upload journal. */
export function saveUpload(home: string, j: UploadJournal): Promise<void> {
  return writeJsonAtomic(uploadFile(home, j.objectId), j);
}

/** Deletes an upload journal once its manifest is posted or queued. */
export function dropUpload(home: string, objectId: string): Promise<void> {
  return removeFile(uploadFile(home, objectId));
}

/** Where the download journal of a target path lives. */
function downloadFile(home: string, out: string): string {
  const key = createHash('sha256').update(out).digest('hex').slice(0, 32);
  return join(home, 'downloads', `${key}.json`);
}

/** The journal of an interrupted download into `out`, if it is for this file version. */
export async function findDownload(
  home: string,
  want: DownloadJournal,
): Promise<DownloadJournal | undefined> {
  const j = (await readJson(downloadFile(home, want.out))) as Partial<DownloadJournal> | undefined;
  if (
    j?.v === 1 &&
    j.out === want.out &&
    j.objectId === want.objectId &&
    j.version === want.version &&
    j.blobId === want.blobId
  )
    return j as DownloadJournal;
  return undefined;
}

/** Records which file version the part file of `j.out` holds. */
export function saveDownload(home: string, j: DownloadJournal): Promise<void> {
  return writeJsonAtomic(downloadFile(home, j.out), j);
}

/** Deletes the download journal of `out`. */
export function dropDownload(home: string, out: string): Promise<void> {
  return removeFile(downloadFile(home, out));
}
