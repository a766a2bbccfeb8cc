/**
 * The push hub of one server process: every SSE connection registers here. Bus notices are
 * only wake-ups: on one, the hub reads the events after its window's top from the
 * database (one query for the whole process, however many connections), appends them to
 * the shared window and wakes the connections whose scope they touch. Each connection then
 * serves itself from the window, or from the database when it is further behind. The
 * events this process's write batches commit are handed over as written (`committed`) and
 * need no read when they continue the window directly.
 *
 * The ticker sends heartbeats, ends streams whose token expired, drops sockets that stopped
 * draining, and re-reads the log once per beat, so a lost notice (a writer killed between
 * commit and publish, a fan-out reconnect) delays delivery by at most one heartbeat.
 */
import type { Kysely } from 'kysely';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { EventRing, type EventRow } from './ring.js';
import { eventsAfter, newestEventId } from './scope.js';
import type { EventStream, StreamHost } from './stream.js';

export interface HubOptions {
  /** Interval between heartbeats (and safety re-reads), ms. */
  readonly heartbeatMs: number;
  /** Most events kept in the shared window. */
  readonly windowRows?: number;
  /** Most frame bytes kept in the shared window. */
  readonly windowBytes?: number;
}

/** Rows per read of the log by the hub. */
const FETCH_LIMIT = 1000;

interface HubLog {
  error(obj: object, msg: string): void;
}

const hubs = new Set<PushHub>();

/** Live figures for metrics: open SSE connections and events held in shared windows. */
export function pushStats(): { connections: number; windowEvents: number } {
  let connections = 0;
  let windowEvents = 0;
  for (const h of hubs) {
    connections += h.connections;
    windowEvents += h.ring.size;
  }
  return { connections, windowEvents };
}

/**
 * Events this process has just committed on `db`, in id order, as stored: each hub on that
 * database appends them to its window without reading the log, when they continue it
 * directly (see `PushHub.committed`).
 */
export function announceCommitted(db: Kysely<Database>, rows: readonly EventRow[]): void {
  if (rows.length === 0) return;
  for (const h of hubs) if (h.db === db) h.committed(rows);
}

export class PushHub implements StreamHost {
  readonly ring: EventRing;
  readonly db: Kysely<Database>;
  readonly #streams = new Set<EventStream>();
  readonly #byTeam = new Map<string, Set<EventStream>>();
  readonly #byPrincipal = new Map<string, Set<EventStream>>();
  #fetching = false;
  #again = false;
  /** The window stopped following the log (nobody listened): restart it at the newest id. */
  #stale = true;
  #closed = false;
  readonly #unsubscribe: () => void;
  readonly #ticker: NodeJS.Timeout;

  constructor(
    ctx: Context,
    readonly log: HubLog,
    opts: HubOptions,
  ) {
    this.db = ctx.store.db;
    this.ring = new EventRing(opts.windowRows ?? 10_000, opts.windowBytes ?? 8 * 1024 * 1024);
    this.#unsubscribe = ctx.bus.subscribe((n) => {
      if (n.id > this.ring.top) this.wake();
    });
    this.#ticker = setInterval(() => this.#tick(), opts.heartbeatMs);
    this.#ticker.unref();
    hubs.add(this);
  }

  get connections(): number {
    return this.#streams.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers a connection before it reads its backlog, so no wake-up can be missed. */
  add(s: EventStream): void {
    this.#streams.add(s);
    index(this.#byPrincipal, s.principalId, s, true);
    if (this.#stale) this.wake();
  }

  remove(s: EventStream): void {
    if (!this.#streams.delete(s)) return;
    index(this.#byPrincipal, s.principalId, s, false);
    for (const t of s.teams) index(this.#byTeam, t, s, false);
    if (this.#streams.size === 0) {
      this.ring.reset(this.ring.top);
      this.#stale = true;
    }
  }

  retag(s: EventStream, added: readonly string[], removed: readonly string[]): void {
    if (!this.#streams.has(s)) return;
    for (const t of added) index(this.#byTeam, t, s, true);
    for (const t of removed) index(this.#byTeam, t, s, false);
  }

  onError(e: unknown): void {
    if (this.#closed) return;
    this.log.error(
      { err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } },
      'push: reading the event log failed',
    );
  }

  /**
   * Rows this process committed. The window must hold every committed event between its
   * floor and top, so they are appended only if they start right after the top and their
   * ids run without a gap: then no other commit can fall between them. Otherwise (another
   * process's or another route's commit came first, or a rolled-back batch left a gap in
   * the ids) the notice that follows makes the hub read the log, as before.
   */
  committed(rows: readonly EventRow[]): void {
    if (this.#closed || this.#stale || this.#streams.size === 0) return;
    let expected = this.ring.top + 1;
    for (const r of rows) if (r.id !== expected++) return;
    this.ring.append(rows);
    this.#dispatch(rows);
  }

  /** Something may have been committed: read the log (coalesced: one read at a time). */
  wake(): void {
    if (this.#closed) return;
    if (this.#streams.size === 0) {
      this.#stale = true;
      return;
    }
    if (this.#fetching) {
      this.#again = true;
      return;
    }
    void this.#fetch();
  }

  async #fetch(): Promise<void> {
    this.#fetching = true;
    try {
      let more = false;
      do {
        this.#again = false;
        if (this.#stale) {
          this.#stale = false;
          const newest = await newestEventId(this.db);
          if (newest > this.ring.top) this.ring.reset(newest);
        }
        const rows = await eventsAfter(this.db, this.ring.top, FETCH_LIMIT);
        if (this.#closed) return;
        // Another read may have reset the window meanwhile; append only a continuation.
        this.ring.append(rows);
        this.#dispatch(rows);
        more = rows.length === FETCH_LIMIT;
      } while ((this.#again || more) && !this.#closed);
    } catch (e) {
      // The next notice or heartbeat reads again.
      this.onError(e);
    } finally {
      this.#fetching = false;
    }
  }

  #dispatch(rows: readonly EventRow[]): void {
    const woken = new Set<EventStream>();
    for (const r of rows) {
      if (r.principalId !== null)
        for (const s of this.#byPrincipal.get(r.principalId) ?? []) woken.add(s);
      if (r.teamId !== null) for (const s of this.#byTeam.get(r.teamId) ?? []) woken.add(s);
    }
    for (const s of woken) s.wake();
  }

  #tick(): void {
    const now = Date.now();
    for (const s of [...this.#streams]) s.tick(now);
    this.wake();
  }

  /** Ends every stream with `event: shutdown` and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ticker);
    this.#unsubscribe();
    hubs.delete(this);
    for (const s of [...this.#streams]) s.end('shutdown');
  }
}

function index(map: Map<string, Set<EventStream>>, key: string, s: EventStream, on: boolean): void {
  let set = map.get(key);
  if (on) {
    if (!set) map.set(key, (set = new Set()));
    set.add(s);
  } else if (set) {
    set.delete(s);
    if (set.size === 0) map.delete(key);
  }
}
