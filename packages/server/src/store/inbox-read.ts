/**
 * Reads of a principal's inbox, paged by count and by envelope bytes like object lists.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { pageEnd } from './objects-read.js';

/** An inbox entry on the wire. */
export interface InboxItem {
  readonly seq: number;
  readonly objectId: string;
  readonly acked: boolean;
  readonly envelope: string;
}

/** Entries of `principalId` with seq > since, ascending; only unacknowledged ones if asked. */
export async function listInbox(
  db: Kysely<Database>,
  principalId: string,
  since: number,
  limit: number,
  unackedOnly: boolean,
): Promise<{ items: InboxItem[]; next: number }> {
  let sizes = db
    .selectFrom('inbox')
    .innerJoin('direct_objects', 'direct_objects.object_id', 'inbox.object_id')
    .select(['inbox.seq', sql<number>`length(direct_objects.envelope)`.as('size')])
    .where('inbox.principal_id', '=', principalId)
    .where('inbox.seq', '>', since);
  if (unackedOnly) sizes = sizes.where('inbox.acked_at', 'is', null);
  const heads = await sizes.orderBy('inbox.seq').limit(limit).execute();
  const end = pageEnd(heads.map((r) => ({ key: Number(r.seq), size: Number(r.size) })));
  if (end === undefined) return { items: [], next: since };
  let q = db
    .selectFrom('inbox')
    .innerJoin('direct_objects', 'direct_objects.object_id', 'inbox.object_id')
    .select(['inbox.seq', 'inbox.object_id', 'inbox.acked_at', 'direct_objects.envelope'])
    .where('inbox.principal_id', '=', principalId)
    .where('inbox.seq', '>', since)
    .where('inbox.seq', '<=', end);
  if (unackedOnly) q = q.where('inbox.acked_at', 'is', null);
  const rows = await q.orderBy('inbox.seq').execute();
  return {
    items: rows.map((r) => ({
      seq: Number(r.seq),
      objectId: r.object_id,
      acked: r.acked_at !== null,
      envelope: Buffer.from(r.envelope).toString('base64url'),
    })),
    next: end,
  };
}

/** Marks entries of `principalId` acknowledged; returns how many were newly acknowledged. */
export async function ackInbox(
  db: Kysely<Database>,
  principalId: string,
  objectIds: readonly string[],
): Promise<number> {
  const r = await db
    .updateTable('inbox')
    .set({ acked_at: Date.now() })
    .where('principal_id', '=', principalId)
    .where('object_id', 'in', objectIds)
    .where('acked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
