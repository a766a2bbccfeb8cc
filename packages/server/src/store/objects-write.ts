/**
 * The team-object write, as a kind of the write batcher. The rules (docs/.api/objects.md):
 *
 * - Idempotent: the same (team, objectId, version) with the same bytes answers the stored
 *   result again. Other bytes under a taken version 1 are HUSH_ERR_CONFLICT (the id is
 *   taken: pick a new one); under a taken later version HUSH_ERR_VERSION_CONFLICT (another
 *   writer got there first: fetch and rebase).
 * - Versions are contiguous: version n+1 needs version n of the same object, else
 *   HUSH_ERR_VERSION_CONFLICT with `currentVersion`.
 * - An object keeps its collection and blind index for life. A blind index names at most
 *   one object per team: version 1 of a new object under a blind index that already has
 *   one is refused with HUSH_ERR_VERSION_CONFLICT carrying that object's id and current
 *   version. So compare-and-set on a kv key is compare-and-set on its object's version;
 *   deleting is a tombstone version, and setting the key again is the next version.
 * - Each accepted write takes the team's next sequence number and counts against the
 *   team's storage quota.
 *
 * On PostgreSQL the batch locks the team rows it writes to (sorted, FOR UPDATE), which
 * serializes writers of one team across server processes: the checks cannot race.
 *
 * Per batch, not per write: the state the checks need (team counters, roles, latest
 * versions, blind-index owners) is loaded with a few queries in `prepare` and kept up to
 * date in memory as writes are accepted; the accepted rows are inserted together in
 * `finish`. A write therefore costs no query of its own unless it is a replay or conflict.
 */
import { canWrite, type Role } from '@hush/core';
import { sql, type Insertable } from 'kysely';
import type { Dialect } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { ObjectsTable } from '../db/schema.js';
import { fail } from '../errors.js';
import type { NewEvent } from './events.js';
import type { Checked, Trx, WriteKind } from './writer.js';

/** One verified write, ready for the batch. */
export interface ObjectWrite {
  readonly teamId: string;
  readonly objectId: string;
  readonly version: number;
  readonly collection: number;
  readonly blindIndex: string | null;
  readonly tombstone: boolean;
  readonly author: string;
  readonly device: string;
  readonly envelope: Buffer;
}

/** What a write answers (the same again for an idempotent replay). */
export interface ObjectWriteResult {
  readonly seq: number;
  readonly objectId: string;
  readonly version: number;
  /** False for an idempotent replay of a stored version. */
  readonly created: boolean;
}

interface TeamCounters {
  seq: number;
  bytes: number;
  /** Bytes and writes this batch added. */
  added: number;
  writes: number;
}

interface Latest {
  readonly version: number;
  readonly collection: number;
  readonly blindIndex: string | null;
}

interface BatchState {
  readonly teams: Map<string, TeamCounters>;
  readonly roles: Map<string, Role>;
  /** Latest version per object (`team object`), including writes earlier in this batch. */
  readonly latest: Map<string, Latest>;
  /** The object holding each blind index (`team blindIndex`). */
  readonly owners: Map<string, { readonly objectId: string; readonly version: number }>;
  /** Rows this batch writes (inserted together by `finish`), by `team object version`. */
  readonly rows: Map<string, Insertable<ObjectsTable>>;
}

const key = (...parts: (string | number)[]) => parts.join(' ');

/** Rows per insert statement (12 columns each: well under SQLite's variable limit). */
const INSERT_CHUNK = 500;

const teamCounters = (lock: boolean) =>
  prepared(1, (db, ids: string[]) => {
    const q = db
      .selectFrom('teams')
      .select(['id', 'object_seq', 'bytes_used'])
      .where('id', 'in', ids)
      .orderBy('id');
    return lock ? q.forUpdate() : q;
  });
const teamRows = { sqlite: teamCounters(false), postgres: teamCounters(true) };

const memberRoles = prepared(2, (db, teamIds: string[], principalIds: string[]) =>
  db
    .selectFrom('team_members')
    .select(['team_id', 'principal_id', 'role'])
    .where('team_id', 'in', teamIds)
    .where('principal_id', 'in', principalIds),
);

// Collection and blind index are the same in every version of an object, so grouping by
// them yields one row per object.
const latestVersions = prepared(2, (db, teamIds: string[], objectIds: string[]) =>
  db
    .selectFrom('objects')
    .select(['team_id', 'object_id', 'collection', 'blind_index'])
    .select((eb) => eb.fn.max('version').as('version'))
    .where('team_id', 'in', teamIds)
    .where('object_id', 'in', objectIds)
    .groupBy(['team_id', 'object_id', 'collection', 'blind_index']),
);

const blindIndexOwners = prepared(2, (db, teamIds: string[], indexes: string[]) =>
  db
    .selectFrom('objects')
    .select(['team_id', 'blind_index', 'object_id'])
    .select((eb) => eb.fn.max('version').as('version'))
    .where('team_id', 'in', teamIds)
    .where('blind_index', 'in', indexes)
    .groupBy(['team_id', 'blind_index', 'object_id']),
);

const storedVersion = prepared(3, (db, teamId: string, objectId: string, version: number) =>
  db
    .selectFrom('objects')
    .select(['seq', 'envelope'])
    .where('team_id', '=', teamId)
    .where('object_id', '=', objectId)
    .where('version', '=', version),
);

const insertObjects = prepared(1, (db, rows: Insertable<ObjectsTable>[]) =>
  db.insertInto('objects').values(rows),
);

const updateCounters = prepared(3, (db, id: string, seq: number, added: number) =>
  db
    .updateTable('teams')
    .set({ object_seq: seq, bytes_used: sql<number>`bytes_used + ${added}` })
    .where('id', '=', id),
);

async function loadState(
  trx: Trx,
  dialect: Dialect,
  inputs: readonly ObjectWrite[],
): Promise<BatchState> {
  const teamIds = [...new Set(inputs.map((i) => i.teamId))].sort();
  const authors = [...new Set(inputs.map((i) => i.author))];
  const objectIds = [...new Set(inputs.map((i) => i.objectId))];
  const indexes = [...new Set(inputs.flatMap((i) => (i.blindIndex ? [i.blindIndex] : [])))];
  const teams = new Map<string, TeamCounters>();
  // On PostgreSQL the team rows are locked (sorted, FOR UPDATE): see the top of this file.
  for (const t of await teamRows[dialect].all(trx, teamIds))
    teams.set(t.id, {
      seq: Number(t.object_seq),
      bytes: Number(t.bytes_used),
      added: 0,
      writes: 0,
    });
  // Membership is checked again under the team lock: a removal that committed after the
  // route's check must still win. It is a statement of its own, after the lock: joined into
  // the locking query, it would read the snapshot taken before the lock was granted.
  const roles = new Map<string, Role>();
  for (const m of await memberRoles.all(trx, teamIds, authors))
    roles.set(key(m.team_id, m.principal_id), m.role as Role);
  const latest = new Map<string, Latest>();
  for (const o of await latestVersions.all(trx, teamIds, objectIds))
    latest.set(key(o.team_id, o.object_id), {
      version: Number(o.version),
      collection: o.collection,
      blindIndex: o.blind_index,
    });
  const owners = new Map<string, { objectId: string; version: number }>();
  if (indexes.length > 0) {
    for (const h of await blindIndexOwners.all(trx, teamIds, indexes))
      owners.set(key(h.team_id, h.blind_index ?? ''), {
        objectId: h.object_id,
        version: Number(h.version),
      });
  }
  return { teams, roles, latest, owners, rows: new Map() };
}

/** The object write kind for a team quota (bytes). */
export function objectWriteKind(
  teamQuotaBytes: number,
): WriteKind<ObjectWrite, ObjectWrite, ObjectWriteResult, BatchState> {
  return {
    name: 'objects',

    prepare: loadState,

    async check(trx, state, w): Promise<Checked<ObjectWriteResult, ObjectWrite>> {
      const team = state.teams.get(w.teamId);
      const role = state.roles.get(key(w.teamId, w.author));
      if (!team || role === undefined)
        fail('HUSH_ERR_NOT_FOUND', 'no such team, or you are not a member');
      if (!canWrite(role, w.collection as Parameters<typeof canWrite>[1]))
        fail('HUSH_ERR_FORBIDDEN', 'your role cannot write this collection');
      const latest = state.latest.get(key(w.teamId, w.objectId));
      const current = latest?.version ?? 0;
      if (w.version <= current) {
        const pending = state.rows.get(key(w.teamId, w.objectId, w.version));
        const stored = pending ?? (await storedVersion.first(trx, w.teamId, w.objectId, w.version));
        if (stored && Buffer.compare(stored.envelope, w.envelope) === 0) {
          const seq = Number(stored.seq);
          return { result: { seq, objectId: w.objectId, version: w.version, created: false } };
        }
        if (w.version === 1)
          fail('HUSH_ERR_CONFLICT', 'another object already has this id', {
            currentVersion: current,
          });
        fail('HUSH_ERR_VERSION_CONFLICT', undefined, { currentVersion: current });
      }
      if (w.version !== current + 1)
        fail('HUSH_ERR_VERSION_CONFLICT', undefined, { currentVersion: current });
      if (latest && (latest.collection !== w.collection || latest.blindIndex !== w.blindIndex)) {
        fail(
          'HUSH_ERR_INVALID_ENVELOPE',
          'an object keeps its collection and blind index in every version',
        );
      }
      const owner =
        w.blindIndex === null ? undefined : state.owners.get(key(w.teamId, w.blindIndex));
      if (!latest && owner)
        fail('HUSH_ERR_VERSION_CONFLICT', 'another object already holds this blind index', {
          currentVersion: owner.version,
          objectId: owner.objectId,
        });
      if (team.bytes + team.added + w.envelope.length > teamQuotaBytes)
        fail('HUSH_ERR_QUOTA_EXCEEDED');
      return { plan: w };
    },

    async apply(_trx, state, w, events: NewEvent[]) {
      const team = state.teams.get(w.teamId) as TeamCounters;
      team.seq += 1;
      team.writes += 1;
      team.added += w.envelope.length;
      state.rows.set(key(w.teamId, w.objectId, w.version), {
        team_id: w.teamId,
        seq: team.seq,
        object_id: w.objectId,
        version: w.version,
        collection: w.collection,
        blind_index: w.blindIndex,
        author: w.author,
        device: w.device,
        tombstone: w.tombstone ? 1 : 0,
        size: w.envelope.length,
        envelope: w.envelope,
        created_at: Date.now(),
      });
      const latest = { version: w.version, collection: w.collection, blindIndex: w.blindIndex };
      state.latest.set(key(w.teamId, w.objectId), latest);
      if (w.blindIndex !== null)
        state.owners.set(key(w.teamId, w.blindIndex), { objectId: w.objectId, version: w.version });
      events.push({
        teamId: w.teamId,
        type: 'object',
        data: { team: w.teamId, seq: team.seq, objectId: w.objectId, version: w.version },
      });
      return { seq: team.seq, objectId: w.objectId, version: w.version, created: true };
    },

    async finish(trx, state) {
      const rows = [...state.rows.values()];
      for (let i = 0; i < rows.length; i += INSERT_CHUNK)
        await insertObjects.all(trx, rows.slice(i, i + INSERT_CHUNK));
      for (const [id, t] of state.teams)
        if (t.writes > 0) await updateCounters.all(trx, id, t.seq, t.added);
    },
  };
}
