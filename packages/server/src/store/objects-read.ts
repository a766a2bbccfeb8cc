/**
 * Reads of team objects. Pages are bounded by count and by envelope bytes, so a page of
 * large objects cannot make one response (or the server's memory) huge.
 */
import type { Kysely } from 'kysely';
import type { Database, ObjectsTable } from '../db/schema.js';

/** Envelope bytes one page carries at most (a single larger object still goes alone). */
export const PAGE_BYTES = 8 * 1024 * 1024;

/** An object version on the wire. */
export interface ObjectItem {
  readonly seq: number;
  readonly objectId: string;
  readonly version: number;
  readonly collection: number;
  readonly blindIndex: string | null;
  readonly tombstone: boolean;
  readonly envelope: string;
}

type Row = Pick<
  ObjectsTable,
  'seq' | 'object_id' | 'version' | 'collection' | 'blind_index' | 'tombstone' | 'envelope'
>;

const COLUMNS = [
  'seq',
  'object_id',
  'version',
  'collection',
  'blind_index',
  'tombstone',
  'envelope',
] as const;

/** The wire form of a stored row. */
export function objectItem(r: Row): ObjectItem {
  return {
    seq: Number(r.seq),
    objectId: r.object_id,
    version: r.version,
    collection: r.collection,
    blindIndex: r.blind_index,
    tombstone: r.tombstone !== 0,
    envelope: Buffer.from(r.envelope).toString('base64url'),
  };
}

/** The last key of a page whose rows fit in PAGE_BYTES (at least one row). */
export function pageEnd<K>(rows: readonly { key: K; size: number }[]): K | undefined {
  let total = 0;
  let end: K | undefined;
  for (const r of rows) {
    total += r.size;
    if (end !== undefined && total > PAGE_BYTES) break;
    end = r.key;
  }
  return end;
}

/** Objects of a team with seq > since, ascending. */
export async function listObjects(
  db: Kysely<Database>,
  teamId: string,
  since: number,
  limit: number,
): Promise<{ objects: ObjectItem[]; next: number }> {
  const sizes = await db
    .selectFrom('objects')
    .select(['seq', 'size'])
    .where('team_id', '=', teamId)
    .where('seq', '>', since)
    .orderBy('seq')
    .limit(limit)
    .execute();
  const end = pageEnd(sizes.map((r) => ({ key: Number(r.seq), size: r.size })));
  if (end === undefined) return { objects: [], next: since };
  const rows = await db
    .selectFrom('objects')
    .select(COLUMNS)
    .where('team_id', '=', teamId)
    .where('seq', '>', since)
    .where('seq', '<=', end)
    .orderBy('seq')
    .execute();
  return { objects: rows.map(objectItem), next: end };
}

/** One version of an object (the latest when `version` is undefined). */
export async function getObject(
  db: Kysely<Database>,
  teamId: string,
  objectId: string,
  version: number | undefined,
): Promise<ObjectItem | undefined> {
  let q = db
    .selectFrom('objects')
    .select(COLUMNS)
    .where('team_id', '=', teamId)
    .where('object_id', '=', objectId);
  q =
    version === undefined
      ? q.orderBy('version', 'desc').limit(1)
      : q.where('version', '=', version);
  const row = await q.executeTakeFirst();
  return row && objectItem(row);
}

/** The latest version stored under a blind index. */
export async function getByBlindIndex(
  db: Kysely<Database>,
  teamId: string,
  blindIndex: string,
): Promise<ObjectItem | undefined> {
  const row = await db
    .selectFrom('objects')
    .select(COLUMNS)
    .where('team_id', '=', teamId)
    .where('blind_index', '=', blindIndex)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && objectItem(row);
}

/** The version history of an object (metadata only), versions > since, ascending. */
export async function listVersions(
  db: Kysely<Database>,
  teamId: string,
  objectId: string,
  since: number,
  limit: number,
) {
  const rows = await db
    .selectFrom('objects')
    .select(['seq', 'version', 'tombstone', 'size', 'author', 'device', 'created_at'])
    .where('team_id', '=', teamId)
    .where('object_id', '=', objectId)
    .where('version', '>', since)
    .orderBy('version')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    version: r.version,
    tombstone: r.tombstone !== 0,
    size: r.size,
    author: r.author,
    device: r.device,
    storedAt: Number(r.created_at),
  }));
}
