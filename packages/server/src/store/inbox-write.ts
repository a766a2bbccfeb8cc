/**
 * The direct-envelope write, as a kind of the write batcher: the envelope is stored once
 * (idempotent by object id: the same bytes answer the stored result again, other bytes are
 * HUSH_ERR_CONFLICT), and every recipient principal (the sender included) gets one inbox
 * row with its own next sequence number and one `inbox` event.
 *
 * On PostgreSQL the batch locks the recipients' inbox_state rows, sorted, so inbox
 * sequence numbers are handed out without gaps or duplicates across server processes.
 */
import type { Dialect } from '../db/database.js';
import { fail } from '../errors.js';
import type { NewEvent } from './events.js';
import type { Checked, Trx, WriteKind } from './writer.js';

/** One verified direct envelope, ready for the batch. */
export interface DirectWrite {
  readonly objectId: string;
  readonly sender: string;
  /** Recipient principal ids, sorted, without duplicates, the sender included. */
  readonly recipients: readonly string[];
  readonly envelope: Buffer;
}

/** What a send answers: the envelope's position in the sender's own inbox. */
export interface DirectWriteResult {
  readonly objectId: string;
  readonly seq: number;
  readonly created: boolean;
}

/** Rows per statement. */
const CHUNK = 1000;

/** Most recipients one direct envelope may name. */
export const MAX_RECIPIENTS = 1000;

interface Cursor {
  next: number;
  dirty: boolean;
}

type BatchState = Map<string, Cursor>;

async function senderSeq(trx: Trx, w: DirectWrite): Promise<number> {
  const row = await trx
    .selectFrom('inbox')
    .select('seq')
    .where('principal_id', '=', w.sender)
    .where('object_id', '=', w.objectId)
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/** The direct-envelope write kind. */
export const directWriteKind: WriteKind<DirectWrite, DirectWrite, DirectWriteResult, BatchState> = {
  name: 'inbox',

  async prepare(trx: Trx, dialect: Dialect, inputs: readonly DirectWrite[]) {
    const ids = [...new Set(inputs.flatMap((i) => i.recipients))].sort();
    const state: BatchState = new Map();
    // Chunks keep each statement under SQLite's bound-variable limit.
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      await trx
        .insertInto('inbox_state')
        .values(part.map((principal_id) => ({ principal_id, next_seq: 1 })))
        .onConflict((oc) => oc.column('principal_id').doNothing())
        .execute();
      let q = trx
        .selectFrom('inbox_state')
        .select(['principal_id', 'next_seq'])
        .where('principal_id', 'in', part)
        .orderBy('principal_id');
      if (dialect === 'postgres') q = q.forUpdate();
      for (const r of await q.execute())
        state.set(r.principal_id, { next: Number(r.next_seq), dirty: false });
    }
    return state;
  },

  async check(trx, _state, w): Promise<Checked<DirectWriteResult, DirectWrite>> {
    const stored = await trx
      .selectFrom('direct_objects')
      .select(['envelope'])
      .where('object_id', '=', w.objectId)
      .executeTakeFirst();
    if (!stored) return { plan: w };
    if (Buffer.compare(stored.envelope, w.envelope) !== 0)
      fail('HUSH_ERR_CONFLICT', 'another direct envelope already has this id');
    return { result: { objectId: w.objectId, seq: await senderSeq(trx, w), created: false } };
  },

  async apply(trx, state, w, events: NewEvent[]) {
    const now = Date.now();
    await trx
      .insertInto('direct_objects')
      .values({ object_id: w.objectId, sender: w.sender, envelope: w.envelope, created_at: now })
      .execute();
    const rows = w.recipients.map((principal_id) => {
      const c = state.get(principal_id) as Cursor;
      const seq = c.next;
      c.next += 1;
      c.dirty = true;
      events.push({
        principalId: principal_id,
        type: 'inbox',
        data: { seq, objectId: w.objectId },
      });
      return { principal_id, seq, object_id: w.objectId, acked_at: null, created_at: now };
    });
    for (let i = 0; i < rows.length; i += CHUNK)
      await trx
        .insertInto('inbox')
        .values(rows.slice(i, i + CHUNK))
        .execute();
    const own = rows.find((r) => r.principal_id === w.sender);
    return { objectId: w.objectId, seq: own?.seq ?? 0, created: true };
  },

  async finish(trx, state) {
    for (const [principal_id, c] of state) {
      if (!c.dirty) continue;
      await trx
        .updateTable('inbox_state')
        .set({ next_seq: c.next })
        .where('principal_id', '=', principal_id)
        .execute();
    }
  },
};
