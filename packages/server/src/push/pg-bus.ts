/**
 * Fan-out over PostgreSQL LISTEN/NOTIFY, for several server processes on one database and
 * no NATS. Publishing delivers locally at once and sends `pg_notify('hush_events', json)`
 * through the pool (grouped per event-loop turn). A dedicated client LISTENs; when it loses
 * its connection (database restart, admin termination) it reconnects with backoff, then
 * wakes every local hub, which re-reads the event log: notices missed meanwhile cost
 * nothing, because the log, not the notice, carries the events.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Bus, EventNotice } from '../context.js';
import { NoticeBatcher } from './batcher.js';
import { LocalBus } from './local-bus.js';
import { decodeNotices, encodeNotices, WAKE_ALL } from './wire.js';

/** The NOTIFY channel. */
export const PG_CHANNEL = 'hush_events';
/** application_name of the listening connection (visible in pg_stat_activity). */
export const PG_LISTENER_NAME = 'hush-push';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7000;
const BACKOFF_MS = { first: 100, max: 5000 };

export class PgBus implements Bus {
  readonly #local = new LocalBus();
  readonly #origin = randomBytes(9).toString('base64url');
  readonly #batcher: NoticeBatcher;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #everListened = false;

  private constructor(
    readonly databaseUrl: string,
    pool: pg.Pool,
    readonly warn: (msg: string) => void,
  ) {
    this.#batcher = new NoticeBatcher(async (batch) => {
      for (const payload of encodeNotices(this.#origin, batch, MAX_PAYLOAD))
        await pool.query('select pg_notify($1, $2)', [PG_CHANNEL, payload]);
    }, warn);
  }

  /** Starts listening; if the first attempt fails it keeps retrying in the background. */
  static async start(
    databaseUrl: string,
    pool: pg.Pool,
    warn: (msg: string) => void,
  ): Promise<PgBus> {
    const bus = new PgBus(databaseUrl, pool, warn);
    await bus.#listen(0);
    return bus;
  }

  publish(notices: readonly EventNotice[]): void {
    if (this.#closed) return;
    this.#local.publish(notices);
    this.#batcher.add(notices);
  }

  subscribe(listener: (n: EventNotice) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#batcher.drain();
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
    await this.#local.close();
  }

  async #listen(attempt: number): Promise<void> {
    if (this.#closed) return;
    const c = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: PG_LISTENER_NAME,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Errors on an idle client are followed by 'end', which reconnects.
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query(`LISTEN ${PG_CHANNEL}`);
    } catch (e) {
      void c.end().catch(() => undefined);
      const delay = Math.min(BACKOFF_MS.first * 2 ** attempt, BACKOFF_MS.max);
      if (attempt === 0)
        this.warn(`push fan-out: cannot LISTEN on PostgreSQL (${(e as Error)?.message}); retrying`);
      this.#retry = setTimeout(() => void this.#listen(attempt + 1), delay);
      return;
    }
    if (this.#closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.#client = c;
    c.on('notification', (m) => this.#receive(m.payload));
    c.once('end', () => {
      if (this.#client !== c) return;
      this.#client = undefined;
      if (this.#closed) return;
      this.warn('push fan-out: lost the PostgreSQL LISTEN connection; reconnecting');
      void this.#listen(0);
    });
    // Whatever was published while we were not listening is in the log: re-read it.
    if (attempt > 0 || this.#everListened) this.#local.deliver(WAKE_ALL);
    this.#everListened = true;
  }

  #receive(payload: string | undefined): void {
    const msg = payload === undefined ? undefined : decodeNotices(payload);
    if (!msg || msg.origin === this.#origin) return;
    for (const n of msg.notices) this.#local.deliver(n);
  }
}
