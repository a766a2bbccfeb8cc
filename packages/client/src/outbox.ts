/**
 * The offline outbox: a sealed envelope is written to the record `outbox/<objectId>` before
 * the first attempt to post it and deleted once the relay acknowledged it. The relay's puts
 * are idempotent (same id, same bytes: same answer), so re-posting after a crash or a lost
 * answer delivers exactly once. An envelope the relay refuses for good is moved aside to
 * `outbox/<objectId>.failed` and reported, so it never blocks the queue.
 */
import type { Api } from './api.js';
import { ClientError, NetworkError } from './errors.js';
import { readRecord, RECORD, recordText, type HushStorage } from './storage.js';

/** One queued envelope. */
export interface OutboxEntry {
  readonly kind: 'team' | 'direct';
  /** Team id for a team envelope. */
  readonly team?: string;
  readonly objectId: string;
  readonly version: number;
  readonly envelope: string;
  readonly queuedAt: number;
}

/** The relay's acknowledgement of one delivered envelope. */
export interface Delivery {
  readonly objectId: string;
  readonly seq: number;
}

/** What a flush did. */
export interface FlushReport {
  delivered: Delivery[];
  failed: { objectId: string; error: string }[];
  remaining: number;
}

const key = (objectId: string) => `${RECORD.outbox}${objectId}`;
const FAILED = '.failed';

/** Writes an entry to the outbox (atomic, before any network attempt). */
export function enqueue(s: HushStorage, e: OutboxEntry): Promise<void> {
  return s.write(key(e.objectId), recordText(e));
}

/** Deletes a delivered entry. */
export function dequeue(s: HushStorage, objectId: string): Promise<void> {
  return s.remove(key(objectId));
}

/** Posts one entry; idempotent on the relay. */
export async function deliver(api: Api, e: OutboxEntry): Promise<Delivery> {
  const r =
    e.kind === 'team'
      ? await api.request<{ seq: number }>(
          'PUT',
          `/v1/teams/${e.team}/objects/${e.objectId}/versions/${e.version}`,
          { envelope: e.envelope },
        )
      : await api.request<{ seq: number }>('POST', '/v1/inbox', { envelope: e.envelope });
  return { objectId: e.objectId, seq: r.seq };
}

/** Queued entries, oldest first. */
export async function pending(s: HushStorage): Promise<OutboxEntry[]> {
  const out: OutboxEntry[] = [];
  for (const k of await s.list(RECORD.outbox))
    if (!k.endsWith(FAILED)) {
      const e = (await readRecord(s, k)) as OutboxEntry | undefined;
      if (e) out.push(e);
    }
  return out.sort((a, b) => a.queuedAt - b.queuedAt);
}

/**
 * Posts every queued entry. Stops quietly at the first network failure (the rest stays
 * queued); a permanent refusal moves the entry aside and is reported in `failed`.
 */
export async function flush(s: HushStorage, api: Api): Promise<FlushReport> {
  const entries = await pending(s);
  const delivered: Delivery[] = [];
  const failed: { objectId: string; error: string }[] = [];
  for (const [i, e] of entries.entries()) {
    try {
      delivered.push(await deliver(api, e));
      await dequeue(s, e.objectId);
    } catch (err) {
      if (err instanceof NetworkError) return { delivered, failed, remaining: entries.length - i };
      if (!(err instanceof ClientError) || err.kind === 'AUTH') throw err;
      // Aside first, then delete: a crash in between leaves a copy aside, never a loss.
      await s.write(key(e.objectId) + FAILED, recordText(e));
      await dequeue(s, e.objectId);
      failed.push({ objectId: e.objectId, error: err.message });
    }
  }
  return { delivered, failed, remaining: 0 };
}
