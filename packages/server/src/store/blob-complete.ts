/**
 * Completing an upload: the one step that makes a blob visible. It checks the stored chunks
 * against the client's figures under the blob lock and appends the team event in the same
 * transaction, so a `blob` event always names a complete, immutable blob.
 */
import type { Context } from '../context.js';
import { fail } from '../errors.js';
import type { ChunkExtent } from './blob-files.js';
import { lockBlob, type BlobInfo } from './blob-store.js';
import { appendEvents } from './events.js';

/** How many missing or surplus chunk indexes an incomplete error names at most. */
const NAMED_MAX = 100;

/** What keeps an upload from completing, for the HUSH_ERR_BLOB_INCOMPLETE body. */
function incompleteDetail(chunks: readonly ChunkExtent[], chunkCount: number, totalSize: number) {
  const present = new Set(chunks.map((c) => c.n));
  const missing: number[] = [];
  let missingCount = 0;
  for (let n = 0; n < chunkCount; n++) {
    if (present.has(n)) continue;
    missingCount++;
    if (missing.length < NAMED_MAX) missing.push(n);
  }
  const surplus = chunks.filter((c) => c.n >= chunkCount).map((c) => c.n);
  const storedSize = chunks.reduce((s, c) => (c.n < chunkCount ? s + c.size : s), 0);
  const parts = [];
  if (missingCount) parts.push(`${missingCount} chunk(s) missing, first: ${missing.join(', ')}`);
  if (surplus.length) parts.push(`chunk(s) beyond chunkCount: ${surplus.slice(0, 10).join(', ')}`);
  if (!missingCount && !surplus.length && storedSize !== totalSize)
    parts.push(`the chunks hold ${storedSize} bytes, not ${totalSize}`);
  return {
    message: `the blob is not complete: ${parts.join('; ')}`,
    extra: {
      missing,
      missingCount,
      surplus: surplus.slice(0, NAMED_MAX),
      storedSize,
    },
  };
}

/**
 * Marks a blob complete when chunks 0..chunkCount-1 are all present, no others, and their
 * sizes sum to totalSize; appends the team's `blob` event in the same transaction. Returns
 * the event id to publish (0 when it was already complete with the same figures, and for a
 * direct blob, which has no team to tell: its readers learn of it from the direct envelope
 * that names it).
 */
export async function completeBlob(
  ctx: Context,
  blob: BlobInfo,
  chunkCount: number,
  totalSize: number,
): Promise<number> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await lockBlob(trx, ctx, blob.id);
    if (!row) fail('HUSH_ERR_NOT_FOUND', 'no such blob, or not visible to you');
    if (row.complete === 1) {
      if (Number(row.chunk_count) === chunkCount && Number(row.total_size) === totalSize) return 0;
      fail('HUSH_ERR_CONFLICT', 'the blob is already complete with another size', {
        chunkCount: Number(row.chunk_count),
        totalSize: Number(row.total_size),
      });
    }
    const chunks = (
      await trx
        .selectFrom('blob_chunks')
        .select(['n', 'size'])
        .where('blob_id', '=', blob.id)
        .orderBy('n')
        .execute()
    ).map((r) => ({ n: Number(r.n), size: Number(r.size) }));
    const sum = chunks.reduce((s, c) => s + c.size, 0);
    const last = chunks[chunks.length - 1];
    if (chunks.length !== chunkCount || (last && last.n !== chunkCount - 1) || sum !== totalSize) {
      const d = incompleteDetail(chunks, chunkCount, totalSize);
      fail('HUSH_ERR_BLOB_INCOMPLETE', d.message, d.extra);
    }
    await trx
      .updateTable('blobs')
      .set({
        complete: 1,
        chunk_count: chunkCount,
        total_size: totalSize,
        updated_at: Date.now(),
      })
      .where('id', '=', blob.id)
      .execute();
    if (row.team_id === null) return 0;
    return appendEvents(trx, ctx.store.dialect, [
      { teamId: row.team_id, type: 'blob', data: { blobId: blob.id } },
    ]);
  });
}
