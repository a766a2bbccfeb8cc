/**
 * Blobs: resumable chunked upload of STREAM ciphertext, streaming download with `Range`.
 *
 * The uploader is the principal of the device that created the upload: any of its devices
 * may add chunks, read the status and complete it, while it still has write rights on files.
 * Until complete, a blob is invisible (404) to everyone else; once complete it is immutable
 * and every member of its team may read it. A direct blob has no team: once complete, its
 * readers (principals named at creation) may read it, and nobody else sees it at all. Chunk
 * bodies are raw `application/octet-stream` streamed to disk, never buffered whole. See
 * docs/API.md, "Blobs".
 */
import { canWrite, COLLECTION, ROLE, type Role } from '@hush/core';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerRoutes } from '../app.js';
import { authenticate, memberRole } from '../auth/guard.js';
import type { Caller, Context } from '../context.js';
import { fail, HttpError } from '../errors.js';
import { bytesField, idParam } from '../ids.js';
import { registerTask } from '../server.js';
import { discard, readChunks, receiveChunk, tidyBlobDir } from '../store/blob-files.js';
import { completeBlob } from '../store/blob-complete.js';
import { createBlob } from '../store/blob-create.js';
import { payerOf, quotaMessage, quotaOf, usageOf } from '../store/blob-quota.js';
import { parseRange } from '../store/blob-range.js';
import {
  BLOB_ID_BYTES,
  commitChunk,
  deleteBlob,
  findBlob,
  findChunk,
  listChunks,
  MAX_CHUNKS,
  type BlobInfo,
} from '../store/blob-store.js';
import { MAX_RECIPIENTS } from '../store/inbox-write.js';
import { uploadGcTask } from '../tasks/upload-gc.js';

const NO_BLOB = 'no such blob, or not visible to you';

/** What the caller may do with a blob it can see. */
interface Access {
  readonly caller: Caller;
  readonly blob: BlobInfo;
  readonly isUploader: boolean;
  /** May write chunks and complete (team blob: a role that writes files; direct: the uploader). */
  readonly mayUpload: boolean;
  /** May delete a complete blob it did not upload (team admins and owners). */
  readonly isAdmin: boolean;
}

function params(req: FastifyRequest): Record<string, string | undefined> {
  return req.params as Record<string, string | undefined>;
}

/** The caller's role in a blob's team, with a non-member told only that there is no such blob. */
async function roleIn(ctx: Context, caller: Caller, teamId: string): Promise<Role> {
  try {
    return await memberRole(ctx, caller, teamId);
  } catch (e) {
    if (e instanceof HttpError && e.code === 'HUSH_ERR_NOT_FOUND')
      fail('HUSH_ERR_NOT_FOUND', NO_BLOB);
    throw e;
  }
}

/**
 * Authenticates and loads a blob the caller may see: a team blob's members, a direct blob's
 * readers, and only the uploader while incomplete. Everyone else gets the same 404.
 */
async function access(ctx: Context, req: FastifyRequest): Promise<Access> {
  const caller = await authenticate(ctx, req);
  const blobId = idParam('blobId', params(req).blobId, BLOB_ID_BYTES);
  const blob = await findBlob(ctx, blobId);
  if (!blob) fail('HUSH_ERR_NOT_FOUND', NO_BLOB);
  const isUploader = blob.uploader === caller.principalId;
  let mayUpload = isUploader;
  let isAdmin = false;
  if (blob.teamId !== null) {
    const role = await roleIn(ctx, caller, blob.teamId);
    mayUpload = canWrite(role, COLLECTION.file);
    isAdmin = role === ROLE.owner || role === ROLE.admin;
  } else if (!isUploader && !blob.readers.includes(caller.principalId))
    fail('HUSH_ERR_NOT_FOUND', NO_BLOB);
  if (!blob.complete && !isUploader) fail('HUSH_ERR_NOT_FOUND', NO_BLOB);
  return { caller, blob, isUploader, mayUpload, isAdmin };
}

/** Writes (chunks, complete) are the uploader's, with write rights on files, and never change a complete blob. */
function mustUpload(a: Access): void {
  if (!a.mayUpload)
    fail(
      'HUSH_ERR_FORBIDDEN',
      a.blob.teamId === null
        ? 'only its uploader writes a direct blob'
        : 'your role cannot upload files',
    );
  if (!a.isUploader) fail('HUSH_ERR_CONFLICT', 'the blob is complete and immutable');
}

/** The JSON object body of a create request (an absent body is an empty object). */
function objectBody(req: FastifyRequest): Record<string, unknown> {
  const body: unknown = req.body === undefined ? {} : req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || isStream(body))
    fail('HUSH_ERR_BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The readers of a new direct blob: 1..MAX_RECIPIENTS distinct registered principals. */
async function readersField(ctx: Context, v: unknown): Promise<string[]> {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_RECIPIENTS)
    fail('HUSH_ERR_BAD_REQUEST', `"readers" must list 1 to ${MAX_RECIPIENTS} principal ids`);
  const readers = v.map((r) => {
    bytesField('readers', r, 32);
    return r as string;
  });
  if (new Set(readers).size !== readers.length)
    fail('HUSH_ERR_BAD_REQUEST', '"readers" must not repeat a principal');
  const known = await ctx.store.db
    .selectFrom('principals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', 'in', readers)
    .executeTakeFirstOrThrow();
  if (Number(known.n) !== readers.length)
    fail('HUSH_ERR_NOT_FOUND', 'a reader is not a registered principal');
  return readers;
}

function chunkIndex(v: unknown): number {
  if (typeof v !== 'string' || !/^(0|[1-9]\d{0,6})$/.test(v) || Number(v) >= MAX_CHUNKS)
    fail('HUSH_ERR_BAD_REQUEST', `"n" must be a chunk index from 0 to ${MAX_CHUNKS - 1}`);
  return Number(v);
}

function intField(body: unknown, name: string, min: number, max: number): number {
  const v = (body as Record<string, unknown> | null | undefined)?.[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    fail('HUSH_ERR_BAD_REQUEST', `"${name}" must be a whole number from ${min} to ${max}`);
  return v;
}

function isStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return (
    typeof (body as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] ===
    'function'
  );
}

/** The declared body length, when the client sent one. */
function declaredLength(req: FastifyRequest): number | undefined {
  const h = req.headers['content-length'];
  return typeof h === 'string' && /^\d{1,16}$/.test(h) ? Number(h) : undefined;
}

async function putChunk(ctx: Context, req: FastifyRequest, reply: FastifyReply) {
  try {
    return await receiveAndCommit(ctx, req, reply);
  } catch (e) {
    // Refused before its body was read: close the connection instead of draining the body.
    if (!req.raw.complete) reply.header('connection', 'close');
    throw e;
  }
}

async function receiveAndCommit(ctx: Context, req: FastifyRequest, reply: FastifyReply) {
  const a = await access(ctx, req);
  mustUpload(a);
  const n = chunkIndex(params(req).n);
  if (!isStream(req.body))
    fail('HUSH_ERR_BAD_REQUEST', 'a chunk is sent as an application/octet-stream body');
  const max = ctx.config.maxChunkBytes;
  const len = declaredLength(req);
  // Refuse what is certain to fail before reading a byte of it.
  if (len !== undefined && len > max)
    fail('HUSH_ERR_BODY_TOO_LARGE', `a chunk holds at most ${max} bytes`, { maxBytes: max });
  const have = await findChunk(ctx, a.blob.id, n);
  if (have && len !== undefined && len !== Number(have.size))
    fail('HUSH_ERR_CONFLICT', `chunk ${n} is already stored with different bytes`);
  if (!have && a.blob.complete) fail('HUSH_ERR_CONFLICT', 'the blob is complete and immutable');
  const payer = payerOf(a.blob);
  if (!have && len !== undefined && (await usageOf(ctx, payer)) + len > quotaOf(ctx, payer))
    fail('HUSH_ERR_QUOTA_EXCEEDED', quotaMessage(payer));
  // receiveChunk removes its temp file when it fails; after it, the rename consumed it or
  // (identical, conflicting or refused chunk) it is discarded here.
  const got = await receiveChunk(ctx.config.dataDir, a.blob.id, n, req.body, max);
  try {
    const outcome = await commitChunk(ctx, a.blob, n, got);
    reply.code(outcome === 'stored' ? 201 : 200);
    return { blobId: a.blob.id, n, size: got.size, sha256: got.sha256 };
  } finally {
    await discard(got.tmp);
  }
}

async function download(ctx: Context, req: FastifyRequest, reply: FastifyReply) {
  const a = await access(ctx, req);
  if (!a.blob.complete)
    fail('HUSH_ERR_BLOB_INCOMPLETE', 'the blob is still being uploaded: complete it first');
  const total = a.blob.totalSize ?? 0;
  let range;
  try {
    range = parseRange(req.headers.range, total);
  } catch (e) {
    reply.header('content-range', `bytes */${total}`);
    throw e;
  }
  const { start, end } = range ?? { start: 0, end: total - 1 };
  const chunks = await listChunks(ctx, a.blob.id);
  reply
    .code(range ? 206 : 200)
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(end - start + 1))
    .header('accept-ranges', 'bytes')
    .header('etag', `"${a.blob.id}"`)
    .header('cache-control', 'private, no-transform');
  if (range) reply.header('content-range', `bytes ${start}-${end}/${total}`);
  // Fastify's HEAD route resets the length of an empty reply and drains a stream: an empty
  // stream keeps our Content-Length and reads no file.
  if (req.method === 'HEAD') return reply.send(Readable.from([]));
  return reply.send(readChunks(ctx.config.dataDir, a.blob.id, chunks, start, end));
}

/** The blob routes, in their own plugin so the octet-stream parser applies to them only. */
export function blobRoutes(app: FastifyInstance, ctx: Context): void {
  void app.register(async (scope) => {
    // Hand the raw body stream to the chunk route, which streams it to disk itself.
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => {
      done(null, payload);
    });

    scope.post('/v1/teams/:teamId/blobs', async (req, reply) => {
      const caller = await authenticate(ctx, req);
      const teamId = idParam('teamId', params(req).teamId);
      const role = await memberRole(ctx, caller, teamId);
      if (!canWrite(role, COLLECTION.file))
        fail('HUSH_ERR_FORBIDDEN', 'your role cannot upload files');
      const requested = objectBody(req).blobId;
      const { blob, created } = await createBlob(
        ctx,
        { teamId },
        caller,
        requested === undefined ? undefined : idParam('blobId', requested, BLOB_ID_BYTES),
      );
      reply.code(created ? 201 : 200);
      return { blobId: blob.id, complete: blob.complete };
    });

    // A direct blob: the content of a file sent to principals. The id is required, so a
    // retry can never create a second upload.
    scope.post('/v1/blobs', async (req, reply) => {
      const caller = await authenticate(ctx, req);
      const body = objectBody(req);
      const blobId = idParam('blobId', body.blobId, BLOB_ID_BYTES);
      const readers = await readersField(ctx, body.readers);
      const { blob, created } = await createBlob(ctx, { readers }, caller, blobId);
      reply.code(created ? 201 : 200);
      return { blobId: blob.id, complete: blob.complete };
    });

    scope.put('/v1/blobs/:blobId/chunks/:n', (req, reply) => putChunk(ctx, req, reply));

    scope.get('/v1/blobs/:blobId/status', async (req) => {
      const a = await access(ctx, req);
      const chunks = await listChunks(ctx, a.blob.id);
      return {
        blobId: a.blob.id,
        teamId: a.blob.teamId,
        ...(a.blob.teamId === null ? { readers: a.blob.readers } : {}),
        complete: a.blob.complete,
        present: chunks.map((c) => c.n),
        sizes: chunks.map((c) => c.size),
        storedSize: chunks.reduce((s, c) => s + c.size, 0),
        chunkCount: a.blob.chunkCount,
        totalSize: a.blob.totalSize,
      };
    });

    scope.post('/v1/blobs/:blobId/complete', async (req) => {
      const a = await access(ctx, req);
      mustUpload(a);
      const chunkCount = intField(req.body, 'chunkCount', 1, MAX_CHUNKS);
      const totalSize = intField(req.body, 'totalSize', 1, Number.MAX_SAFE_INTEGER);
      const eventId = await completeBlob(ctx, a.blob, chunkCount, totalSize);
      if (eventId && a.blob.teamId !== null)
        ctx.bus.publish([{ id: eventId, teamId: a.blob.teamId, principalId: null }]);
      await tidyBlobDir(ctx.config.dataDir, a.blob.id, chunkCount);
      return { blobId: a.blob.id, complete: true, chunkCount, totalSize };
    });

    scope.get('/v1/blobs/:blobId', (req, reply) => download(ctx, req, reply));

    scope.delete('/v1/blobs/:blobId', async (req) => {
      const a = await access(ctx, req);
      if (!a.isAdmin && !(a.isUploader && a.mayUpload))
        fail('HUSH_ERR_FORBIDDEN', 'only the uploader or a team admin deletes a blob');
      const freed = await deleteBlob(ctx, a.blob.id);
      if (freed === undefined) fail('HUSH_ERR_NOT_FOUND', NO_BLOB);
      return { blobId: a.blob.id, deleted: true, freedBytes: freed };
    });
  });
}

registerRoutes(blobRoutes);
registerTask(uploadGcTask);
