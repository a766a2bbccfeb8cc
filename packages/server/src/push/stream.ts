/**
 * One SSE connection. It keeps two cursors: `last`, the id of the last event written (what
 * the client resumes from), and `scanned`, the id up to which every event was considered.
 * A wake-up only sets a flag; the pump then reads events with `id > scanned`, from the
 * process-wide window when the cursor is inside it, from the database otherwise, and
 * filters them by the principal's scope. Reading strictly after a cursor, in id order, from
 * a log whose ids commit in order, is what makes delivery gap-free and duplicate-free.
 *
 * Memory is bounded: at most one database batch and one write chunk per connection. When
 * the socket stops draining (`write` returns false) the pump stops reading until 'drain';
 * the database is the buffer, so a slow client lags and nothing is lost.
 */
import type { Kysely } from 'kysely';
import type { Caller } from '../context.js';
import type { Database } from '../db/schema.js';
import type { EventRing, EventRow } from './ring.js';
import { deviceRevoked, MEMBERSHIP_TYPES, membershipTeam, scopedEvents } from './scope.js';

/** Why the server ends a stream; sent as the last event's type. */
export type EndReason = 'shutdown' | 'revoked' | 'expired' | 'unavailable';

/** The writable side of a connection (a `ServerResponse` satisfies it). */
export interface Sink {
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string): unknown;
  destroy(): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** What a stream needs from its hub. */
export interface StreamHost {
  readonly ring: EventRing;
  readonly db: Kysely<Database>;
  /** The stream's team set changed: update the wake-up index. */
  retag(s: EventStream, added: readonly string[], removed: readonly string[]): void;
  remove(s: EventStream): void;
  onError(e: unknown): void;
}

/** Bytes of frames gathered before one socket write. */
const CHUNK = 16 * 1024;
/** Rows per database read for a connection behind the shared window. */
const DB_BATCH = 500;
/** A socket that has not drained for this long is dropped; the client resumes later. */
export const STALL_MS = 60_000;
/** How long an ended stream may take to flush its last frame before the socket is destroyed. */
const END_GRACE_MS = 2_000;

export class EventStream {
  readonly principalId: string;
  readonly deviceId: string;
  teams = new Set<string>();
  #last = 0;
  #scanned = 0;
  #begun = false;
  #pending = false;
  #running = false;
  #blocked = false;
  #blockedSince = 0;
  #closed = false;

  constructor(
    readonly host: StreamHost,
    readonly sink: Sink,
    caller: Caller,
    readonly expiresAt: number,
  ) {
    this.principalId = caller.principalId;
    this.deviceId = caller.deviceId;
    sink.once('close', () => this.#detach());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The id of the last event written. */
  get last(): number {
    return this.#last;
  }

  /** Starts streaming after `cursor` with the team set as of that cursor. */
  begin(cursor: number, teams: Set<string>): void {
    if (this.#closed) return;
    this.#last = cursor;
    this.#scanned = cursor;
    this.teams = teams;
    this.host.retag(this, [...teams], []);
    this.#write(`id: ${cursor}\nevent: ready\ndata: {"cursor":${cursor}}\n\n`);
    this.#begun = true;
    this.wake();
  }

  /** Something in scope may have been committed. */
  wake(): void {
    this.#pending = true;
    if (this.#begun && !this.#running && !this.#blocked && !this.#closed) void this.#pump();
  }

  /** Heartbeat, token expiry and stalled-socket check, called by the hub's ticker. */
  tick(now: number): void {
    if (this.#closed || !this.#begun) return;
    if (this.expiresAt > 0 && now >= this.expiresAt) return this.end('expired');
    if (this.#blocked) {
      if (now - this.#blockedSince > STALL_MS) {
        this.#detach();
        this.sink.destroy();
      }
      return;
    }
    this.#write(': ping\n\n');
  }

  /** Ends the stream with a final `event: <reason>` and closes the connection. */
  end(reason: EndReason): void {
    if (this.#closed) return;
    this.#detach();
    // Before begin() the route still owns the response and answers it itself.
    if (!this.#begun || this.sink.destroyed) return;
    const timer = setTimeout(() => this.sink.destroy(), END_GRACE_MS);
    this.sink.once('close', () => clearTimeout(timer));
    this.sink.end(`event: ${reason}\ndata: {}\n\n`);
  }

  #detach(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.remove(this);
  }

  #write(chunk: string | Uint8Array): void {
    // Writing after end() would emit an error on the response: never do it.
    if (this.#closed || this.sink.write(chunk)) return;
    this.#blocked = true;
    this.#blockedSince = Date.now();
    this.sink.once('drain', () => {
      this.#blocked = false;
      this.wake();
    });
  }

  #inScope(row: EventRow): boolean {
    return (
      row.principalId === this.principalId || (row.teamId !== null && this.teams.has(row.teamId))
    );
  }

  /** Applies a membership change addressed to this principal; true if the set changed. */
  #membership(row: EventRow): boolean {
    if (row.principalId !== this.principalId || !MEMBERSHIP_TYPES.includes(row.type)) return false;
    const team = membershipTeam(row.data);
    if (team === undefined) return false;
    if (row.type === 'team.joined' && !this.teams.has(team)) {
      this.teams.add(team);
      this.host.retag(this, [team], []);
      return true;
    }
    if (row.type === 'team.left' && this.teams.has(team)) {
      this.teams.delete(team);
      this.host.retag(this, [], [team]);
      return true;
    }
    return false;
  }

  /** A principal chain change may revoke this device: it is checked after such an event. */
  #mayRevoke(row: EventRow): boolean {
    return row.principalId === this.principalId && row.type === 'principal.link';
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending && !this.#closed && !this.#blocked) {
        this.#pending = false;
        const check =
          this.#scanned >= this.host.ring.floor ? this.#fromRing() : await this.#fromDb();
        if (check && (await deviceRevoked(this.host.db, this.deviceId))) this.end('revoked');
      }
    } catch (e) {
      if (!this.#closed) {
        this.host.onError(e);
        this.end('unavailable');
      }
    } finally {
      this.#running = false;
    }
  }

  /** Serves from the shared window (synchronously: positions are valid until the next await). */
  #fromRing(): boolean {
    const ring = this.host.ring;
    let out = '';
    let check = false;
    const end = ring.end;
    let i = ring.indexAfter(this.#scanned);
    const shared = i < end ? ring.teamChunk(i) : undefined;
    if (shared && this.teams.has(shared.team)) {
      this.#write(shared.bytes);
      this.#last = shared.lastId;
      this.#scanned = Math.max(shared.lastId, ring.top);
      return false;
    }
    for (; i < end && !this.#blocked; i++) {
      const row = ring.at(i);
      this.#scanned = row.id;
      if (!this.#inScope(row)) continue;
      out += row.frame;
      this.#last = row.id;
      // Later rows are filtered with the new team set: no re-read is needed here.
      this.#membership(row);
      check = this.#mayRevoke(row);
      if (check || out.length >= CHUNK) {
        this.#write(out);
        out = '';
        if (check) {
          i++;
          break;
        }
      }
    }
    if (out) this.#write(out);
    if (i >= end && !check) {
      if (ring.top > this.#scanned) this.#scanned = ring.top;
    } else {
      this.#pending = true;
    }
    return check;
  }

  /** Reads the scope from the database, for a cursor older than the shared window. */
  async #fromDb(): Promise<boolean> {
    // Every id up to the window's top is committed, so reading up to it cannot skip one.
    const upTo = this.host.ring.top;
    const rows = await scopedEvents(
      this.host.db,
      this.principalId,
      this.teams,
      this.#scanned,
      upTo,
      DB_BATCH,
    );
    if (this.#closed) return false;
    let out = '';
    let check = false;
    let stopped = false;
    for (const row of rows) {
      this.#scanned = row.id;
      out += row.frame;
      this.#last = row.id;
      // The rest of this batch was filtered with the old team set: read again.
      stopped = this.#membership(row);
      check = this.#mayRevoke(row);
      if (stopped || check || out.length >= CHUNK) {
        this.#write(out);
        out = '';
        if (stopped || check || this.#blocked) {
          stopped = true;
          break;
        }
      }
    }
    if (out) this.#write(out);
    if (!stopped && rows.length < DB_BATCH && upTo > this.#scanned) this.#scanned = upTo;
    this.#pending = true;
    return check;
  }
}
