/**
 * The database side of a push connection: which events a principal may see, and from
 * which point. A connection sees an event when it names the caller's principal, or names
 * a team the principal belonged to when the event was written. Membership changes are
 * themselves events ('team.joined' / 'team.left', addressed to the principal), so the team
 * set at any cursor can be rebuilt from the current membership and the changes after it.
 */
import type { Kysely } from 'kysely';
import { hashToken } from '../auth/tokens.js';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { eventFrame, type EventRow } from './ring.js';

/** Event types that change the principal's team set; `data.team` names the team. */
export const MEMBERSHIP_TYPES: readonly string[] = ['team.joined', 'team.left'];

interface RawRow {
  id: number;
  team_id: string | null;
  principal_id: string | null;
  type: string;
  data: string;
}

/** Converts a database row, rendering its SSE frame once. */
export function toEventRow(r: RawRow): EventRow {
  const id = Number(r.id);
  return {
    id,
    teamId: r.team_id,
    principalId: r.principal_id,
    type: r.type,
    data: r.data,
    frame: eventFrame(id, r.type, r.data),
  };
}

/** The team a membership event names, if well formed. */
export function membershipTeam(data: string): string | undefined {
  try {
    const team = (JSON.parse(data) as { team?: unknown } | null)?.team;
    return typeof team === 'string' ? team : undefined;
  } catch {
    return undefined;
  }
}

/** The newest committed event id (0 for an empty log). */
export async function newestEventId(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

const rowsAfter = prepared(2, (db, after: number, limit: number) =>
  db
    .selectFrom('events')
    .select(['id', 'team_id', 'principal_id', 'type', 'data'])
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit),
);

/** Every committed event with `after < id`, in id order, at most `limit` (all scopes). */
export async function eventsAfter(
  db: Kysely<Database>,
  after: number,
  limit: number,
): Promise<EventRow[]> {
  return (await rowsAfter.all(db, after, limit)).map(toEventRow);
}

/** The principal's events and its teams' events with `after < id <= upTo`, in id order. */
export async function scopedEvents(
  db: Kysely<Database>,
  principalId: string,
  teams: ReadonlySet<string>,
  after: number,
  upTo: number,
  limit: number,
): Promise<EventRow[]> {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'team_id', 'principal_id', 'type', 'data'])
    .where('id', '>', after)
    .where('id', '<=', upTo)
    .where((eb) =>
      teams.size === 0
        ? eb('principal_id', '=', principalId)
        : eb.or([eb('principal_id', '=', principalId), eb('team_id', 'in', [...teams])]),
    )
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toEventRow);
}

/**
 * The principal's team set as of `cursor`: current membership, with each team that changed
 * after the cursor set back to the state before its first change. Membership is read first
 * so a change committed in between is still undone correctly (joins and leaves alternate).
 */
export async function teamsAt(
  db: Kysely<Database>,
  principalId: string,
  cursor: number,
): Promise<Set<string>> {
  const current = await db
    .selectFrom('team_members')
    .select('team_id')
    .where('principal_id', '=', principalId)
    .execute();
  const changes = await db
    .selectFrom('events')
    .select(['type', 'data'])
    .where('principal_id', '=', principalId)
    .where('type', 'in', [...MEMBERSHIP_TYPES])
    .where('id', '>', cursor)
    .orderBy('id')
    .execute();
  const teams = new Set(current.map((r) => r.team_id));
  const decided = new Set<string>();
  for (const c of changes) {
    const team = membershipTeam(c.data);
    if (team === undefined || decided.has(team)) continue;
    decided.add(team);
    if (c.type === 'team.joined') teams.delete(team);
    else teams.add(team);
  }
  return teams;
}

/** Whether the device has been revoked (or no longer exists). */
export async function deviceRevoked(db: Kysely<Database>, deviceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('devices')
    .select('revoked_at')
    .where('id', '=', deviceId)
    .executeTakeFirst();
  return !row || row.revoked_at !== null;
}

/** When the presented access token expires (ms since the epoch); 0 when unknown. */
export async function tokenExpiry(
  db: Kysely<Database>,
  authorization: string | undefined,
): Promise<number> {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return 0;
  const row = await db
    .selectFrom('tokens')
    .select('expires_at')
    .where('hash', '=', hashToken(authorization.slice(7).trim()))
    .where('kind', '=', 'access')
    .executeTakeFirst();
  return row ? Number(row.expires_at) : 0;
}
