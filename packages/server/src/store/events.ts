/**
 * The event log behind push: every write that someone should hear about appends a row in
 * the same transaction. Event ids are global and increase in commit order (PostgreSQL:
 * appends take a transaction-scoped advisory lock, so a reader never sees id n+1 committed
 * before id n), which is what makes `Last-Event-ID` resume exact: no gap, no duplicate.
 */
import { sql, type Insertable, type Transaction } from 'kysely';
import type { Dialect } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { Database, EventsTable } from '../db/schema.js';
import type { EventRow } from '../push/ring.js';
import { toEventRow } from '../push/scope.js';

/** What an event names. Payloads hold ids and sequence numbers only, never content. */
export interface NewEvent {
  readonly teamId?: string;
  readonly principalId?: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** Advisory lock key serializing event appends on PostgreSQL. */
const EVENT_LOCK = 7474_0001;

const insertEvents = prepared(1, (db, rows: Insertable<EventsTable>[]) =>
  db.insertInto('events').values(rows).returning(['id', 'team_id', 'principal_id', 'type', 'data']),
);

/**
 * Appends events inside a write transaction; returns the rows as stored, in id order (the
 * push hub of this process can append them to its window without reading them back).
 */
export async function appendEventRows(
  trx: Transaction<Database>,
  dialect: Dialect,
  events: readonly NewEvent[],
): Promise<EventRow[]> {
  if (events.length === 0) return [];
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENT_LOCK})`.execute(trx);
  const now = Date.now();
  const rows = await insertEvents.all(
    trx,
    events.map((e) => ({
      team_id: e.teamId ?? null,
      principal_id: e.principalId ?? null,
      type: e.type,
      data: JSON.stringify(e.data),
      created_at: now,
    })),
  );
  return rows.map(toEventRow).sort((a, b) => a.id - b.id);
}

/** Appends events inside a write transaction; returns the highest id written. */
export async function appendEvents(
  trx: Transaction<Database>,
  dialect: Dialect,
  events: readonly NewEvent[],
): Promise<number> {
  return (await appendEventRows(trx, dialect, events)).at(-1)?.id ?? 0;
}
