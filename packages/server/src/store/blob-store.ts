/**
 * Blob rows and the transactions that change them. Every change to one blob (a chunk, its
 * completion, its deletion) first locks the blob row (PostgreSQL: SELECT ... FOR UPDATE;
 * SQLite: one connection, so transactions are already serial), which is what makes the
 * rename of a chunk file and the insert of its row one atomic step for every other request.
 */
import type { Transaction } from 'kysely';
import type { Context } from '../context.js';
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
import { charge, payerOf, quotaMessage, refund } from './blob-quota.js';

/** A blob id is 16 random bytes, canonical base64url (22 characters). */
export const BLOB_ID_BYTES = 16;

/** Chunk indexes run 0..MAX_CHUNKS-1. */
export const MAX_CHUNKS = 1 << 20;

/**
 * A blob row with the principal of the device that created it (the uploader). A team blob
 * has its `teamId`; a direct blob has none, and lists the principals who may read it.
 */
export interface BlobInfo {
  readonly id: string;
  readonly teamId: string | null;
  readonly device: string;
  readonly uploader: string | null;
  readonly complete: boolean;
  readonly chunkCount: number | null;
  readonly totalSize: number | null;
  /** Direct blobs: the readers besides the uploader, sorted; empty for a team blob. */
  readonly readers: readonly string[];
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
  const readers =
    r.team_id === null
      ? (
          await ctx.store.db
            .selectFrom('blob_readers')
            .select('principal_id')
            .where('blob_id', '=', id)
            .orderBy('principal_id')
            .execute()
        ).map((x) => x.principal_id)
      : [];
  return {
    id: r.id,
    teamId: r.team_id,
    device: r.device,
    uploader: r.principal_id,
    complete: r.complete === 1,
    chunkCount: r.chunk_count === null ? null : Number(r.chunk_count),
    totalSize: r.total_size === null ? null : Number(r.total_size),
    readers,
  };
}

/** Loads and locks a blob row for the rest of the transaction (PostgreSQL; SQLite is serial). */
export async function lockBlob(trx: Trx, ctx: Context, id: string) {
  let q = trx.selectFrom('blobs').selectAll().where('id', '=', id);
  if (ctx.store.dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
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

/**
 * Turns a received temp file into chunk `n`: under the blob lock, an identical chunk already
 * stored makes this a no-op ('same'), different bytes are a conflict, a complete blob takes
 * no new chunk; otherwise rename (durable), insert the row and charge the quota (the team's,
 * or the uploader's for a direct blob), all before the commit acknowledges it. The caller
 * discards the temp file afterwards.
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
    const payer = payerOf(blob);
    if (!(await charge(trx, ctx, payer, got.size))) {
      // Still under the blob lock, so no other request can have placed this file since.
      await discard(final);
      fail('HUSH_ERR_QUOTA_EXCEEDED', quotaMessage(payer));
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
 * Deletes a blob's rows (its readers too) and gives its bytes back to the quota they were
 * charged to, then removes its files.
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
    const uploader = await trx
      .selectFrom('devices')
      .select('principal_id')
      .where('id', '=', row.device)
      .executeTakeFirst();
    await trx.deleteFrom('blob_chunks').where('blob_id', '=', blobId).execute();
    await trx.deleteFrom('blob_readers').where('blob_id', '=', blobId).execute();
    await trx.deleteFrom('blobs').where('id', '=', blobId).execute();
    await refund(
      trx,
      payerOf({ teamId: row.team_id, uploader: uploader?.principal_id ?? null }),
      total,
    );
    return total;
  });
  // After the commit: a crash here leaves an orphan directory, which the collector sweeps.
  if (freed !== undefined) await removeBlobDir(ctx.config.dataDir, blobId);
  return freed;
}
