/**
 * Group commit for durable writes. Concurrent writes (objects, direct envelopes) queue here
 * and are committed together in ONE transaction, so one fsync (SQLite WAL, synchronous=FULL)
 * or one PostgreSQL commit covers many acknowledged writes. A caller's promise settles only
 * after that commit returned, i.e. once the write is durable.
 *
 * Each write is checked on its own inside the batch and sees the writes queued before it.
 * A kind splits a write in two steps so one bad write cannot spoil the others:
 * - `check` reads and decides; it may reject with an HttpError but never writes;
 * - `apply` only writes what `check` decided; it is not expected to fail.
 * Anything unexpected (a database error, a cross-process race caught by a constraint) rolls
 * the whole batch back and each write is retried in a transaction of its own, so only the
 * write that really fails reports the error.
 *
 * Lock order (PostgreSQL, several server processes): every kind's `prepare` runs in a fixed
 * order (by kind name) and takes its row locks sorted; events are appended last, which takes
 * the global event lock. Other routes lock a team row before appending events too, so no
 * two transactions wait on each other in a cycle.
 */
import type { Transaction } from 'kysely';
import type { Context, EventNotice } from '../context.js';
import type { Dialect } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { HttpError } from '../errors.js';
import { announceCommitted } from '../push/hub.js';
import type { EventRow } from '../push/ring.js';
import { appendEventRows, type NewEvent } from './events.js';

/** A transaction of the batch. */
export type Trx = Transaction<Database>;

/** What `check` decided: a result with nothing to write (an idempotent replay), or a plan. */
export type Checked<R, P> = { readonly result: R } | { readonly plan: P };

/** One kind of write the batcher commits (team objects, direct envelopes). */
export interface WriteKind<I, P, R, S> {
  /** Fixed name; kinds are prepared in name order (the cross-process lock order). */
  readonly name: string;
  /** Once per batch, before any check: lock and load what the batch's writes share. */
  prepare(trx: Trx, dialect: Dialect, inputs: readonly I[]): Promise<S>;
  /** Decides one write; rejects with an HttpError; never writes. */
  check(trx: Trx, state: S, input: I): Promise<Checked<R, P>>;
  /** Writes what `check` decided and names the events it causes. */
  apply(trx: Trx, state: S, plan: P, events: NewEvent[]): Promise<R>;
  /** After every write of the batch: store shared counters. */
  finish(trx: Trx, state: S): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the queue holds writes of every kind */
type AnyKind = WriteKind<any, any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

interface Job {
  readonly kind: AnyKind;
  readonly input: unknown;
  readonly resolve: (r: unknown) => void;
  readonly reject: (e: unknown) => void;
}

type Outcome = { readonly ok: unknown } | { readonly err: HttpError };

/** Largest number of writes in one transaction (bounds how long one commit holds locks). */
const MAX_BATCH = 512;

/** Queues writes and commits them in batches, one batch at a time. */
export class WriteBatcher {
  readonly #queue: Job[] = [];
  #running = false;

  constructor(private readonly ctx: Context) {}

  /** Queues a write; settles after the batch holding it committed (or with its error). */
  submit<I, P, R, S>(kind: WriteKind<I, P, R, S>, input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ kind, input, resolve: resolve as (r: unknown) => void, reject });
      if (!this.#running) {
        this.#running = true;
        // Let the writes that arrive in the same turn of the event loop join this batch.
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const jobs = this.#queue.splice(0, MAX_BATCH);
      // #commit settles every job itself; this only guards the loop (settling twice is a no-op).
      await this.#commit(jobs).catch((e: unknown) => jobs.forEach((j) => j.reject(e)));
    }
    this.#running = false;
  }

  async #commit(jobs: readonly Job[]): Promise<void> {
    let done: Committed;
    try {
      done = await this.#transaction(jobs);
    } catch (e) {
      if (jobs.length === 1) {
        (jobs[0] as Job).reject(e);
        return;
      }
      // Something failed that no check predicted: isolate it.
      await Promise.all(jobs.map((j) => this.#commit([j])));
      return;
    }
    done.outcomes.forEach((o, i) => {
      const job = jobs[i] as Job;
      if ('ok' in o) job.resolve(o.ok);
      else job.reject(o.err);
    });
    try {
      // This process's hubs first, from the rows as written; then every process's, by notice.
      announceCommitted(this.ctx.store.db, done.rows);
      if (done.notices.length > 0) this.ctx.bus.publish(done.notices);
    } catch {
      // The writes are durable; a push that could not be announced is still found by
      // clients resuming with Last-Event-ID.
    }
  }

  #transaction(jobs: readonly Job[]): Promise<Committed> {
    const { db, dialect } = this.ctx.store;
    return db.transaction().execute(async (trx) => {
      const byKind = new Map<AnyKind, unknown[]>();
      for (const j of jobs) {
        const inputs = byKind.get(j.kind);
        if (inputs) inputs.push(j.input);
        else byKind.set(j.kind, [j.input]);
      }
      const kinds = [...byKind.keys()].sort((a, b) => (a.name < b.name ? -1 : 1));
      const states = new Map<AnyKind, unknown>();
      for (const k of kinds) states.set(k, await k.prepare(trx, dialect, byKind.get(k) ?? []));
      const events: NewEvent[] = [];
      const outcomes: Outcome[] = [];
      for (const j of jobs) {
        const state = states.get(j.kind);
        let checked: Checked<unknown, unknown>;
        try {
          checked = await j.kind.check(trx, state, j.input);
        } catch (e) {
          if (!(e instanceof HttpError)) throw e;
          outcomes.push({ err: e });
          continue;
        }
        if ('result' in checked) outcomes.push({ ok: checked.result });
        else outcomes.push({ ok: await j.kind.apply(trx, state, checked.plan, events) });
      }
      for (const k of kinds) await k.finish(trx, states.get(k));
      const rows = await appendEventRows(trx, dialect, events);
      return { outcomes, notices: notices(events, rows.at(-1)?.id ?? 0), rows };
    });
  }
}

/** What a committed batch answers and announces. */
interface Committed {
  readonly outcomes: Outcome[];
  readonly notices: EventNotice[];
  /** The event rows as stored, in id order. */
  readonly rows: EventRow[];
}

/** One notice per team or principal the batch touched, carrying the batch's last event id. */
function notices(events: readonly NewEvent[], last: number): EventNotice[] {
  const seen = new Map<string, EventNotice>();
  for (const e of events) {
    const key = `${e.teamId ?? ''}|${e.principalId ?? ''}`;
    if (!seen.has(key))
      seen.set(key, { id: last, teamId: e.teamId ?? null, principalId: e.principalId ?? null });
  }
  return [...seen.values()];
}

const batchers = new WeakMap<Context, WriteBatcher>();

/** The batcher of a server context (one per process). */
export function batcherFor(ctx: Context): WriteBatcher {
  let w = batchers.get(ctx);
  if (!w) {
    w = new WriteBatcher(ctx);
    batchers.set(ctx, w);
  }
  return w;
}
