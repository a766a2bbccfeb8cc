/**
 * Creating an upload: a team blob (`POST /v1/teams/:teamId/blobs`) or a direct blob with its
 * readers (`POST /v1/blobs`). Both are idempotent by the client-chosen id: the same caller
 * creating the same blob again gets it back; an id held by anything else is a conflict.
 */
import { randomBytes } from 'node:crypto';
import type { Caller, Context } from '../context.js';
import { fail } from '../errors.js';
import { BLOB_ID_BYTES, findBlob, type BlobInfo } from './blob-store.js';

/** Where a new blob belongs: a team, or (direct blob) the principals who may read it. */
export type BlobOwner = { readonly teamId: string } | { readonly readers: readonly string[] };

function sameOwner(blob: BlobInfo, owner: BlobOwner): boolean {
  if ('teamId' in owner) return blob.teamId === owner.teamId;
  const want = [...new Set(owner.readers)].sort();
  return (
    blob.teamId === null &&
    blob.readers.length === want.length &&
    blob.readers.every((r, i) => r === want[i])
  );
}

/**
 * Creates an upload, or returns the existing one when the id is already the caller's with
 * the same owner (idempotent retry). An id held by another team, principal or reader set is
 * a conflict. A direct blob's row and its readers commit together.
 */
export async function createBlob(
  ctx: Context,
  owner: BlobOwner,
  caller: Caller,
  requested: string | undefined,
): Promise<{ blob: BlobInfo; created: boolean }> {
  const id = requested ?? randomBytes(BLOB_ID_BYTES).toString('base64url');
  const now = Date.now();
  const created = await ctx.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .insertInto('blobs')
      .values({
        id,
        team_id: 'teamId' in owner ? owner.teamId : null,
        device: caller.deviceId,
        chunk_count: null,
        total_size: null,
        complete: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    const inserted = Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    if (inserted && 'readers' in owner)
      await trx
        .insertInto('blob_readers')
        .values([...new Set(owner.readers)].map((principal_id) => ({ blob_id: id, principal_id })))
        .execute();
    return inserted;
  });
  const blob = await findBlob(ctx, id);
  if (!blob) fail('HUSH_ERR_UNAVAILABLE', 'the blob vanished while being created: retry');
  if (!created && (!sameOwner(blob, owner) || blob.uploader !== caller.principalId))
    fail('HUSH_ERR_CONFLICT', 'this blob id is already taken');
  return { blob, created };
}
