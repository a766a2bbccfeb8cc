/**
 * The offline outbox: a sealed envelope is written to `outbox/<objectId>.json` before the
 * first attempt to post it and deleted once the relay acknowledged it. The relay's puts are
 * idempotent (same id, same bytes: same answer), so re-posting after a crash or a lost
 * answer delivers exactly once. An envelope the relay refuses for good is moved aside to
 * `<objectId>.failed.json` and reported, so it never blocks the queue.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Api } from '../api.js';
import { ClientError, NetworkError } from '../errors.js';
import { listDir, readJson, removeFile, writeJsonAtomic } from './atomic.js';

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

/** Writes an entry to the outbox (atomic, before any network attempt). */
export function enqueue(dir: string, e: OutboxEntry): Promise<void> {
  return writeJsonAtomic(join(dir, `${e.objectId}.json`), e);
}

/** Posts one entry; idempotent on the relay. */
export async function deliver(api: Api, e: OutboxEntry): Promise<Delivery> {
  const r =
    e.kind === 'team'
      ? await api.request<{ seq: number }>(
          'PUT',
          `/v1/teams/${e.team}/objects/${e.objectId}/versions/${e.version}`,
          {
            envelope: e.envelope,
          },
        )
      : await api.request<{ seq: number }>('POST', '/v1/inbox', { envelope: e.envelope });
  return { objectId: e.objectId, seq: r.seq };
}

/** Queued entries, oldest first. */
export async function pending(dir: string): Promise<OutboxEntry[]> {
  const out: OutboxEntry[] = [];
  for (const f of await listDir(dir))
    if (f.endsWith('.json') && !f.endsWith('.failed.json') && !f.startsWith('.'))
      out.push((await readJson(join(dir, f))) as OutboxEntry);
  return out.sort((a, b) => a.queuedAt - b.queuedAt);
}

/**
 * Posts every queued entry. Stops quietly at the first network failure (the rest stays
 * queued); a permanent refusal moves the entry aside and is reported in `failed`.
 */
export async function flush(
  dir: string,
  api: Api,
): Promise<{
  delivered: Delivery[];
  failed: { objectId: string; error: string }[];
  remaining: number;
}> {
  const entries = await pending(dir);
  const delivered: Delivery[] = [];
  const failed: { objectId: string; error: string }[] = [];
  for (const [i, e] of entries.entries()) {
    try {
      delivered.push(await deliver(api, e));
      await removeFile(join(dir, `${e.objectId}.json`));
    } catch (err) {
      if (err instanceof NetworkError) return { delivered, failed, remaining: entries.length - i };
      if (!(err instanceof ClientError) || err.kind === 'AUTH') throw err;
      await fs.rename(join(dir, `${e.objectId}.json`), join(dir, `${e.objectId}.failed.json`));
      failed.push({ objectId: e.objectId, error: err.message });
    }
  }
  return { delivered, failed, remaining: 0 };
}
