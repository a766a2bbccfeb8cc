/**
 * The outbox (`../outbox.ts`) addressed by directory, for Node callers that hold a home's
 * `outbox` directory path (`HomePaths.outbox`) rather than a storage.
 */
import { dirname } from 'node:path';
import type { Api } from '../api.js';
import * as outbox from '../outbox.js';
import { fileStorage } from './file-storage.js';

export { deliver, type Delivery, type OutboxEntry } from '../outbox.js';

/** Writes an entry to the outbox directory `dir` (atomic, before any network attempt). */
export function enqueue(dir: string, e: outbox.OutboxEntry): Promise<void> {
  return outbox.enqueue(fileStorage(dirname(dir)), e);
}

/** Queued entries of the outbox directory `dir`, oldest first. */
export function pending(dir: string): Promise<outbox.OutboxEntry[]> {
  return outbox.pending(fileStorage(dirname(dir)));
}

/** Posts every entry queued in the outbox directory `dir` (see `outbox.flush`). */
export function flush(dir: string, api: Api): Promise<outbox.FlushReport> {
  return outbox.flush(fileStorage(dirname(dir)), api);
}
