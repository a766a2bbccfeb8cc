/**
 * Collects abandoned uploads: an incomplete blob idle (no chunk accepted) for longer than
 * `uploadGcSeconds` is deleted, rows and files, and its bytes go back to the team quota.
 * Also sweeps, now and then, blob directories that no row names any more (left by a crash
 * between a delete's commit and the removal of its files).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../context.js';
import type { Task } from '../server.js';
import { blobsRoot, removeBlobDir } from '../store/blob-files.js';
import { deleteBlob } from '../store/blob-store.js';

/** The collector never waits longer than this between runs. */
const MAX_PERIOD_MS = 60_000;
/** Orphan directories are looked for at most this often (it lists every blob directory). */
const SWEEP_EVERY_MS = 3_600_000;
/** Blobs collected per run at most, so one run stays short; the next run continues. */
const BATCH = 500;
/** Blob ids looked up per query during the sweep. */
const SWEEP_LOOKUP = 200;
const BLOB_ID = /^[A-Za-z0-9_-]{22}$/;

/** The run period for an age limit: min(60 s, age / 4). */
export function gcPeriodMs(uploadGcSeconds: number): number {
  return Math.max(1, Math.min(MAX_PERIOD_MS, (uploadGcSeconds * 1000) / 4));
}

/**
 * Deletes incomplete uploads idle since before `now - uploadGcSeconds`; returns how many.
 *
 * @example
 * const n = await collectStaleUploads(ctx); // run by the background task, or by hand
 */
export async function collectStaleUploads(
  ctx: Context,
  now = Date.now(),
  stopped: () => boolean = () => false,
): Promise<number> {
  const cutoff = now - ctx.config.uploadGcSeconds * 1000;
  const stale = await ctx.store.db
    .selectFrom('blobs')
    .select('id')
    .where('complete', '=', 0)
    .where('updated_at', '<', cutoff)
    .orderBy('updated_at')
    .limit(BATCH)
    .execute();
  let collected = 0;
  for (const { id } of stale) {
    if (stopped()) break;
    if ((await deleteBlob(ctx, id, { staleBefore: cutoff })) !== undefined) collected++;
  }
  return collected;
}

/** Removes blob directories without a blob row that have not changed for `minAgeMs`. */
export async function sweepOrphanDirs(
  ctx: Context,
  minAgeMs: number,
  stopped: () => boolean = () => false,
): Promise<number> {
  const root = blobsRoot(ctx.config.dataDir);
  let removed = 0;
  let prefixes: string[];
  try {
    prefixes = await readdir(root);
  } catch {
    return 0;
  }
  for (const prefix of prefixes) {
    const ids = (await readdir(join(root, prefix)).catch(() => [] as string[])).filter(
      (id) => BLOB_ID.test(id) && id.startsWith(prefix),
    );
    for (let i = 0; i < ids.length && !stopped(); i += SWEEP_LOOKUP) {
      const batch = ids.slice(i, i + SWEEP_LOOKUP);
      const known = new Set(
        (
          await ctx.store.db.selectFrom('blobs').select('id').where('id', 'in', batch).execute()
        ).map((r) => r.id),
      );
      for (const id of batch) {
        if (known.has(id)) continue;
        const st = await stat(join(root, prefix, id)).catch(() => undefined);
        if (!st || Date.now() - st.mtimeMs < minAgeMs) continue;
        await removeBlobDir(ctx.config.dataDir, id);
        removed++;
      }
    }
  }
  return removed;
}

/**
 * The background task: runs every min(60 s, uploadGcSeconds / 4) on an unref'd timer (it
 * never keeps the process alive); the returned function stops it. A failed run (database
 * briefly unreachable) is simply retried on the next tick.
 */
export const uploadGcTask: Task = (ctx) => {
  let running = false;
  let stopped = false;
  let lastSweep = 0;
  const isStopped = () => stopped;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await collectStaleUploads(ctx, Date.now(), isStopped);
      if (Date.now() - lastSweep >= SWEEP_EVERY_MS) {
        lastSweep = Date.now();
        await sweepOrphanDirs(ctx, ctx.config.uploadGcSeconds * 1000, isStopped);
      }
    } catch {
      // Retried on the next tick; the collector holds no state between runs.
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), gcPeriodMs(ctx.config.uploadGcSeconds));
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
};
