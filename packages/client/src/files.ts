/**
 * Files (docs/CLIENT.md "Files"): a file version is a manifest (PROTOCOL.md 10.5) in a team
 * envelope, or in a direct envelope for `@member`, naming a blob that holds the STREAM
 * ciphertext of the content under a fresh random content key. Uploads and downloads stream
 * in constant memory and resume where an interrupted run stopped (node/upload.ts,
 * node/download.ts, node/file-journal.ts); nothing reaches its final path unverified.
 *
 * A direct envelope has one version at the relay, so a direct file cannot be tombstoned:
 * removing one deletes its blob, and readers stop listing a direct file whose blob the relay
 * no longer has (a relay can hide a direct file either way, by withholding its envelope).
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import {
  ArgumentError,
  canWrite,
  checkSnippetPath,
  COLLECTION,
  deriveStreamKey,
  encodeFileManifest,
  FLAG_TOMBSTONE,
  fromBase64url,
  ROLE,
  STREAM_CHUNK_SIZE,
  toBase64url,
  toHex,
  type StreamKey,
} from '@hush/core';
import { findPrincipal, findTeam, syncTeamFull, type Ctx } from './context.js';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  UsageError,
  VerificationError,
} from './errors.js';
import { currentFiles, type FileInfo, type FileState } from './file-versions.js';
import { mediaTypeOf } from './media-types.js';
import type { Messages } from './messages.js';
import { downloadToFile, downloadToStream, type DownloadPlan } from './node/download.js';
import { dropUpload, findUpload, saveUpload, type UploadJournal } from './node/file-journal.js';
import {
  fileSource,
  streamSource,
  uploadBlob,
  uploadChunkCount,
  type PlainSource,
  type Progress,
} from './node/upload.js';
import { onlyTeam } from './only-team.js';
import { SecretBox } from './state.js';
import type { Teams } from './teams.js';

/** What `files.put` takes besides the source. */
export interface PutOptions {
  /** A team (id or name); default: the one team this principal is in. */
  readonly team?: string;
  /** `@member` (principal id or display name): a direct file instead of a team file. */
  readonly to?: string;
  /** The name recorded in the manifest; default: the source file's name (required for a stream). */
  readonly name?: string;
  /** `type/subtype`; default: from the name's extension ('' when unknown). */
  readonly mediaType?: string;
  readonly onProgress?: (p: Progress) => void;
}

/** A file sent: its manifest delivered (or queued in the outbox), its blob complete. */
export interface FileRef {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly team?: string;
  readonly to?: string;
  /** The manifest waits in the outbox (the relay became unreachable after the upload). */
  readonly queued: boolean;
  /** Upload chunks sent by this run, of `chunkCount` (fewer when it resumed). */
  readonly sentChunks: number;
  readonly chunkCount: number;
}

/** Options of `files.get`. */
export interface GetOptions {
  /** A file path (or an existing directory), or a stream such as stdout. */
  readonly out: string | Writable;
  /** Look the name up in this team only. */
  readonly team?: string;
  /** Replace an existing file at the path (default true; false: a ConflictError instead). */
  readonly overwrite?: boolean;
  readonly onProgress?: (p: Progress) => void;
}

/** What `files.get` did. */
export interface GetResult {
  readonly file: FileInfo;
  /** The path written, or '-' for a stream. */
  readonly out: string;
  /** Bytes already on disk from an interrupted run (0 for a fresh download). */
  readonly resumedAt: number;
}

/** What `files.rm` did. */
export interface RemoveResult {
  readonly file: FileInfo;
  /** A tombstone version was written (team files). */
  readonly tombstoned: boolean;
  /** The blob was deleted now (false: it was gone already). */
  readonly blobDeleted: boolean;
}

/** Encodes a version-1 manifest; a field it refuses is a usage error (a name, a type). */
function manifestBody(
  name: string,
  mediaType: string,
  size: number,
  mtime: number,
  contentKey: Uint8Array,
  objectId: Uint8Array,
  blobId: Uint8Array,
  sha256: Uint8Array,
): Uint8Array {
  try {
    return encodeFileManifest({
      name,
      mediaType,
      size,
      mtime,
      contentKey,
      streamObjectId: objectId,
      streamVersion: 1,
      blobId,
      chunkCount: Math.max(1, Math.ceil(size / STREAM_CHUNK_SIZE)),
      sha256,
    });
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(`cannot send it: ${e.message}`);
    throw e;
  }
}

/** The file namespace of the SDK (`hush.files`). */
export class Files {
  /** Direct files whose blob the relay answered 404 for (checked once per process). */
  readonly #gone = new Set<string>();
  readonly #secrets: SecretBox;

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
    private readonly messages: Messages,
  ) {
    this.#secrets = new SecretBox(ctx.b, ctx.id.stateKey);
  }

  /** The target of a put: a team id, or `@<principal id>` with the blob's readers. */
  async #target(o: PutOptions): Promise<{ target: string; readers?: string[] }> {
    const { ctx } = this;
    if (o.to !== undefined && o.team !== undefined)
      throw new UsageError('send a file to a team or to a @member, not both');
    if (o.to !== undefined) {
      const p = toBase64url(await findPrincipal(ctx, o.to.startsWith('@') ? o.to : `@${o.to}`));
      return { target: `@${p}`, readers: [p] };
    }
    const teamId =
      o.team !== undefined
        ? toBase64url(await findTeam(ctx, o.team))
        : toBase64url(
            await onlyTeam(ctx, {
              none: 'send to a @member instead',
              several: 'choose one with --team (or HUSH_TEAM)',
            }),
          );
    const st = await syncTeamFull(ctx, fromBase64url(teamId));
    const role = st.roleOf(ctx.id.principalId);
    if (role === undefined) throw new NotFoundError('you are not a member of that team');
    if (!canWrite(role, COLLECTION.file)) throw new AuthError('your role cannot send files');
    await this.teams.ensureWritable(st);
    return { target: teamId };
  }

  /**
   * Encrypts and uploads a file (a path) or a stream (with `name`) to a team or `@member`,
   * then posts its manifest. A rerun of an interrupted put of the same path (same size and
   * mtime) sends only what the relay does not hold yet.
   * @example
   * await hush.files.put('build/app.tar.gz', { team: 'core' });
   * await hush.files.put(process.stdin, { to: '@bob', name: 'dump.sql' });
   */
  async put(source: string | AsyncIterable<Uint8Array>, o: PutOptions = {}): Promise<FileRef> {
    const { ctx } = this;
    const path = typeof source === 'string' ? resolve(source) : undefined;
    const name = o.name ?? (path ? basename(path) : undefined);
    if (!name) throw new UsageError('a file read from a stream needs a name');
    try {
      checkSnippetPath(name);
    } catch (e) {
      throw new UsageError(`"${name}" is not a usable file name: ${(e as Error).message}`);
    }
    const mediaType = o.mediaType ?? mediaTypeOf(name);
    // The manifest is sealed only after the upload: refuse now what it would refuse then.
    manifestBody(
      name,
      mediaType,
      0,
      0,
      new Uint8Array(32),
      new Uint8Array(16),
      new Uint8Array(16),
      new Uint8Array(32),
    );
    let size: number | undefined;
    let mtime = Date.now();
    if (path) {
      const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') throw new NotFoundError(`no file ${source as string}`);
        throw new UsageError(`cannot read ${source as string} (${e.code ?? 'error'})`);
      });
      if (!st.isFile()) throw new UsageError(`${source as string} is not a regular file`);
      size = st.size;
      mtime = Math.floor(st.mtimeMs);
    }
    const { target, readers } = await this.#target(o);
    const want = { target, path: path ?? '', size: size ?? -1, mtime, name, mediaType };
    let journal = path ? await findUpload(ctx.paths.home, want) : undefined;
    if (!journal) {
      journal = {
        v: 1,
        ...want,
        objectId: toBase64url(ctx.b.randomBytes(16)),
        blobId: toBase64url(ctx.b.randomBytes(16)),
        contentKey: await this.#secrets.seal(ctx.b.randomBytes(32)),
        ...(readers ? { readers } : {}),
      };
      // Written before the first blob request, so a rerun finds the same ids and key.
      if (path) await saveUpload(ctx.paths.home, journal);
    }
    const sent = journal.entry
      ? { journal, sentChunks: 0, chunkCount: uploadChunkCount(journal.size) }
      : await this.#upload(journal, path, source, o.onProgress);
    journal = sent.journal;
    const entry = journal.entry;
    if (!entry) throw new VerificationError('malformed', 'the upload ended without a manifest');
    const ref = await this.messages.post(entry, target);
    if (path) await dropUpload(ctx.paths.home, journal.objectId);
    return {
      id: journal.objectId,
      name,
      size: journal.size,
      sha256: journal.sha256 ?? '',
      ...(readers ? { to: target } : { team: target }),
      queued: ref.queued,
      sentChunks: sent.sentChunks,
      chunkCount: sent.chunkCount,
    };
  }

  /** Uploads the blob and seals the manifest into the journal (saved, for a path). */
  async #upload(
    journal: UploadJournal,
    path: string | undefined,
    source: string | AsyncIterable<Uint8Array>,
    onProgress?: (p: Progress) => void,
  ): Promise<{ journal: UploadJournal; sentChunks: number; chunkCount: number }> {
    const { ctx } = this;
    const contentKey = await this.#secrets.open(journal.contentKey);
    const objectId = fromBase64url(journal.objectId);
    const key = await deriveStreamKey(ctx.b, contentKey, objectId, 1);
    const src: PlainSource = path
      ? await fileSource(path, journal.size)
      : streamSource(source as AsyncIterable<Uint8Array>);
    const blobTarget = journal.readers ? { readers: journal.readers } : { teamId: journal.target };
    let up;
    try {
      up = await uploadBlob(ctx.api, ctx.b, key, journal.blobId, blobTarget, src, onProgress);
    } finally {
      await src.close();
    }
    const body = manifestBody(
      journal.name,
      journal.mediaType,
      up.size,
      journal.mtime,
      contentKey,
      objectId,
      fromBase64url(journal.blobId),
      up.sha256,
    );
    const entry = await this.messages.sealBody(journal.target, COLLECTION.file, body, {
      objectId,
    });
    const done: UploadJournal = { ...journal, size: up.size, sha256: toHex(up.sha256), entry };
    // The sealed manifest is kept before it is posted: a rerun posts these same bytes.
    if (path) await saveUpload(ctx.paths.home, done);
    return { journal: done, sentChunks: up.sent, chunkCount: up.chunkCount };
  }

  /** Every current file state after a sync (unless offline), of one team or all. */
  async #states(team?: string, offline = false): Promise<FileState[]> {
    const teamFilter = team !== undefined ? toBase64url(await findTeam(this.ctx, team)) : undefined;
    if (!offline) await this.messages.sync(teamFilter);
    return currentFiles(this.ctx, this.messages, teamFilter);
  }

  /** Whether the relay still holds a direct file's blob (asked once per file and process). */
  async #present(f: FileState): Promise<boolean> {
    if (!f.info.direct) return true;
    if (this.#gone.has(f.info.blobId)) return false;
    try {
      await this.ctx.api.request('GET', `/v1/blobs/${f.info.blobId}/status`);
      return true;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      this.#gone.add(f.info.blobId);
      return false;
    }
  }

  /**
   * Verified files (team files and direct files), newest last; deleted ones left out.
   * @example for (const f of await hush.files.list()) console.log(f.name, f.size, f.from.name);
   */
  async list(opts: { team?: string; offline?: boolean } = {}): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    for (const f of await this.#states(opts.team, opts.offline))
      if (!f.deleted && (opts.offline || (await this.#present(f)))) out.push(f.info);
    return out;
  }

  /** The file an id or a name names: ids always work; a name takes the newest live file. */
  async #find(ref: string, team?: string): Promise<FileState> {
    const states = await this.#states(team);
    const byId = states.find((f) => f.info.id === ref);
    if (byId) return byId;
    const named = states.filter((f) => !f.deleted && f.info.name === ref);
    for (const f of named.reverse()) if (await this.#present(f)) return f;
    throw new NotFoundError(`no file "${ref}"`);
  }

  /**
   * Downloads and verifies a file (id or name) into `out`: a path (resumable; written only
   * once verified) or a stream.
   * @example await hush.files.get('app.tar.gz', { out: '/tmp/app.tar.gz' });
   */
  async get(ref: string, o: GetOptions): Promise<GetResult> {
    const { ctx } = this;
    const f = await this.#find(ref, o.team);
    if (f.deleted) throw new NotFoundError(`file "${f.info.name}" (${f.info.id}) was removed`);
    const m = f.manifest;
    const plan: DownloadPlan = {
      objectId: f.info.id,
      version: f.info.version,
      blobId: f.info.blobId,
      name: f.info.name,
      manifest: m,
      key: (await deriveStreamKey(
        ctx.b,
        m.contentKey,
        m.streamObjectId,
        m.streamVersion,
      )) as StreamKey,
    };
    try {
      if (typeof o.out !== 'string') {
        await downloadToStream(ctx.api, ctx.b, plan, o.out, o.onProgress);
        return { file: f.info, out: '-', resumedAt: 0 };
      }
      let out = resolve(o.out);
      const kind = await stat(out).then(
        (s) => (s.isDirectory() ? 'dir' : 'file'),
        () => 'none',
      );
      if (kind === 'dir') out = join(out, basename(f.info.name));
      if (o.overwrite === false && (kind === 'file' || (kind === 'dir' && existsSync(out))))
        throw new ConflictError(
          `${out} exists: give another path, or name this one to replace it (--out)`,
        );
      const r = await downloadToFile(ctx.api, ctx.b, ctx.paths.home, plan, out, o.onProgress);
      return { file: f.info, out, resumedAt: r.resumedAt };
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new NotFoundError(
          `the content of "${f.info.name}" is no longer on the relay (removed by its sender)`,
          { cause: e },
        );
      throw e;
    }
  }

  /**
   * Removes a file (id or name): a team file gets a tombstone version (its uploader or a team
   * admin), and its blob is deleted; a direct file (its sender only) loses its blob.
   * @example await hush.files.rm('old-build.tar.gz');
   */
  async rm(ref: string, o: { team?: string } = {}): Promise<RemoveResult> {
    const { ctx } = this;
    const f = await this.#find(ref, o.team);
    const me = toBase64url(ctx.id.principalId);
    let tombstoned = false;
    if (f.info.team) {
      const role = ctx.chains.teams.get(f.info.team.id)?.roleOf(ctx.id.principalId);
      if (f.uploader !== me && role !== ROLE.owner && role !== ROLE.admin)
        throw new AuthError('only its uploader or a team admin removes a file');
      if (!f.deleted) {
        const entry = await this.messages.sealBody(
          f.info.team.id,
          COLLECTION.file,
          new Uint8Array(0),
          {
            objectId: fromBase64url(f.info.id),
            version: f.latest + 1,
            flags: FLAG_TOMBSTONE,
          },
        );
        await this.messages.post(entry, f.info.team.id);
        tombstoned = true;
      }
    } else if (f.uploader !== me) throw new AuthError('only its sender removes a direct file');
    let blobDeleted = false;
    for (const blobId of f.blobIds) {
      try {
        await ctx.api.request('DELETE', `/v1/blobs/${blobId}`);
        blobDeleted = true;
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
      this.#gone.add(blobId);
    }
    return { file: f.info, tombstoned, blobDeleted };
  }
}
