/**
 * Blob rows and the transactions that change them. Every change to one blob (a chunk, its
 * completion, its deletion) first locks the blob row (PostgreSQL: SELECT ... FOR UPDATE;
 * SQLite: one connection, so transactions are already serial), which is what makes the
 * rename of a chunk file and the insert of its row one atomic step for every other request.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Caller, Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { fail } from '../errors.js';
import {
  chunkPath,
  discard,
  placeChunk,
  removeBlobDir,
  type ChunkExtent,
  type ReceivedChunk,
} from './blob-files.js';

/** A blob id is 16 random bytes, canonical base64url (22 characters). */
export const BLOB_ID_BYTES = 16;

/** Chunk indexes run 0..MAX_CHUNKS-1. */
export const MAX_CHUNKS = 1 << 20;

/** A blob row with the principal of the device that created it (the uploader). */
export interface BlobInfo {
  readonly id: string;
  readonly teamId: string;
  readonly device: string;
  readonly uploader: string | null;
  readonly complete: boolean;
  readonly chunkCount: number | null;
  readonly totalSize: number | null;
}

/** A write transaction on the hush database. */
export type Trx = Transaction<Database>;

/** Loads a blob and its uploader's principal, or undefined. */
export async function findBlob(ctx: Context, id: string): Promise<BlobInfo | undefined> {
  const r = await ctx.store.db
    .selectFrom('blobs')
    .leftJoin('devices', 'devices.id', 'blobs.device')
    .select([
      'blobs.id',
      'blobs.team_id',
      'blobs.device',
      'blobs.complete',
      'blobs.chunk_count',
      'blobs.total_size',
      'devices.principal_id',
    ])
    .where('blobs.id', '=', id)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id,
    teamId: r.team_id,
    device: r.device,
    uploader: r.principal_id,
    complete: r.complete === 1,
    chunkCount: r.chunk_count === null ? null : Number(r.chunk_count),
    totalSize: r.total_size === null ? null : Number(r.total_size),
  };
}

/** Loads and locks a blob row for the rest of the transaction (PostgreSQL; SQLite is serial). */
export async function lockBlob(trx: Trx, ctx: Context, id: string) {
  let q = trx.selectFrom('blobs').selectAll().where('id', '=', id);
  if (ctx.store.dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

/**
 * Creates an upload, or returns the existing one when the id is already the caller's in
 * this team (idempotent retry). An id held by another team or principal is a conflict.
 */
export async function createBlob(
  ctx: Context,
  teamId: string,
  caller: Caller,
  requested: string | undefined,
): Promise<{ blob: BlobInfo; created: boolean }> {
  const id = requested ?? randomBytes(BLOB_ID_BYTES).toString('base64url');
  const now = Date.now();
  const r = await ctx.store.db
    .insertInto('blobs')
    .values({
      id,
      team_id: teamId,
      device: caller.deviceId,
      chunk_count: null,
      total_size: null,
      complete: 0,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  const blob = await findBlob(ctx, id);
  if (!blob) fail('HUSH_ERR_UNAVAILABLE', 'the blob vanished while being created: retry');
  const created = Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  if (!created && (blob.teamId !== teamId || blob.uploader !== caller.principalId))
    fail('HUSH_ERR_CONFLICT', 'this blob id is already taken');
  return { blob, created };
}

/** The stored chunk row for `n`, if any. */
export async function findChunk(ctx: Context, blobId: string, n: number) {
  return ctx.store.db
    .selectFrom('blob_chunks')
    .select(['size', 'sha256'])
    .where('blob_id', '=', blobId)
    .where('n', '=', n)
    .executeTakeFirst();
}

/** Bytes a team stores now (objects and blobs), as charged against its quota. */
export async function teamUsage(ctx: Context, teamId: string): Promise<number> {
  const r = await ctx.store.db
    .selectFrom('teams')
    .select('bytes_used')
    .where('id', '=', teamId)
    .executeTakeFirst();
  return Number(r?.bytes_used ?? 0);
}

/**
 * Turns a received temp file into chunk `n`: under the blob lock, an identical chunk already
 * stored makes this a no-op ('same'), different bytes are a conflict, a complete blob takes
 * no new chunk; otherwise rename (durable), insert the row and charge the team quota, all
 * before the commit acknowledges it. The caller discards the temp file afterwards.
 */
export async function commitChunk(
  ctx: Context,
  blob: BlobInfo,
  n: number,
  got: ReceivedChunk,
): Promise<'stored' | 'same'> {
  let placed = false;
  try {
    return await placeAndRecord(ctx, blob, n, got, () => (placed = true));
  } catch (e) {
    // The file was renamed into place but its row never committed (a full disk refusing
    // the commit, a lost database): remove it unless a row claims it by now.
    if (placed) await removeUnclaimed(ctx, blob.id, n).catch(() => undefined);
    throw e;
  }
}

async function placeAndRecord(
  ctx: Context,
  blob: BlobInfo,
  n: number,
  got: ReceivedChunk,
  onPlaced: () => void,
): Promise<'stored' | 'same'> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await lockBlob(trx, ctx, blob.id);
    if (!row) fail('HUSH_ERR_NOT_FOUND', 'no such blob, or not visible to you');
    const have = await trx
      .selectFrom('blob_chunks')
      .select(['size', 'sha256'])
      .where('blob_id', '=', blob.id)
      .where('n', '=', n)
      .executeTakeFirst();
    if (have) {
      if (have.sha256 === got.sha256 && Number(have.size) === got.size) return 'same';
      fail('HUSH_ERR_CONFLICT', `chunk ${n} is already stored with different bytes`);
    }
    if (row.complete === 1) fail('HUSH_ERR_CONFLICT', 'the blob is complete and immutable');
    const final = chunkPath(ctx.config.dataDir, blob.id, n);
    await placeChunk(got.tmp, final);
    onPlaced();
    await trx
      .insertInto('blob_chunks')
      .values({ blob_id: blob.id, n, size: got.size, sha256: got.sha256 })
      .execute();
    await trx
      .updateTable('blobs')
      .set({ updated_at: Date.now() })
      .where('id', '=', blob.id)
      .execute();
    const charged = await trx
      .updateTable('teams')
      .set((eb) => ({ bytes_used: eb('bytes_used', '+', got.size) }))
      .where('id', '=', row.team_id)
      .where((eb) => eb(eb('bytes_used', '+', got.size), '<=', ctx.config.teamQuotaBytes))
      .executeTakeFirst();
    if (Number(charged.numUpdatedRows) !== 1) {
      // Still under the blob lock, so no other request can have placed this file since.
      await discard(final);
      fail('HUSH_ERR_QUOTA_EXCEEDED');
    }
    return 'stored';
  });
}

/** Under the blob lock, deletes chunk `n`'s file if no row stores it. */
async function removeUnclaimed(ctx: Context, blobId: string, n: number): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await lockBlob(trx, ctx, blobId);
    const row = await trx
      .selectFrom('blob_chunks')
      .select('n')
      .where('blob_id', '=', blobId)
      .where('n', '=', n)
      .executeTakeFirst();
    if (!row) await discard(chunkPath(ctx.config.dataDir, blobId, n));
  });
}

/** The chunks of a blob, in index order. */
export async function listChunks(ctx: Context, blobId: string): Promise<ChunkExtent[]> {
  const rows = await ctx.store.db
    .selectFrom('blob_chunks')
    .select(['n', 'size'])
    .where('blob_id', '=', blobId)
    .orderBy('n')
    .execute();
  return rows.map((r) => ({ n: Number(r.n), size: Number(r.size) }));
}

/**
 * Deletes a blob's rows and gives its bytes back to the team quota, then removes its files.
 * With `staleBefore`, deletes only an upload still incomplete and idle since before then
 * (re-checked under the lock, so a chunk arriving meanwhile keeps it alive). Returns the
 * bytes freed, or undefined when nothing was deleted.
 */
export async function deleteBlob(
  ctx: Context,
  blobId: string,
  opts: { staleBefore?: number } = {},
): Promise<number | undefined> {
  const freed = await ctx.store.db.transaction().execute(async (trx) => {
    const row = await lockBlob(trx, ctx, blobId);
    if (!row) return undefined;
    if (
      opts.staleBefore !== undefined &&
      (row.complete === 1 || Number(row.updated_at) >= opts.staleBefore)
    )
      return undefined;
    const agg = await trx
      .selectFrom('blob_chunks')
      .select((eb) => eb.fn.sum<number | string | null>('size').as('total'))
      .where('blob_id', '=', blobId)
      .executeTakeFirst();
    const total = Number(agg?.total ?? 0);
    await trx.deleteFrom('blob_chunks').where('blob_id', '=', blobId).execute();
    await trx.deleteFrom('blobs').where('id', '=', blobId).execute();
    if (total > 0)
      await trx
        .updateTable('teams')
        .set({
          bytes_used: sql<number>`case when bytes_used > ${total} then bytes_used - ${total} else 0 end`,
        })
        .where('id', '=', row.team_id)
        .execute();
    return total;
  });
  // After the commit: a crash here leaves an orphan directory, which the collector sweeps.
  if (freed !== undefined) await removeBlobDir(ctx.config.dataDir, blobId);
  return freed;
}
