/**
 * A bounded window of the most recent events, shared by every SSE connection of a process.
 * It always holds exactly the committed events with `floor < id <= top` (never a partial
 * range), so a connection whose cursor is inside the window can be served from memory
 * instead of querying the database; one further behind reads the database.
 */

/** One event row with its SSE frame rendered once for every connection. */
export interface EventRow {
  readonly id: number;
  readonly teamId: string | null;
  readonly principalId: string | null;
  readonly type: string;
  /** The stored JSON payload. */
  readonly data: string;
  /** `id: <id>\nevent: <type>\ndata: <data>\n\n` */
  readonly frame: string;
}

/** Renders the SSE frame of an event. JSON text never holds a raw CR or LF. */
export function eventFrame(id: number, type: string, data: string): string {
  return `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`;
}

/** Most bytes of frames joined into one shared chunk. */
const SHARED_MAX = 64 * 1024;

/** The frames of a run of rows of one team, encoded once for every connection following it. */
export interface TeamChunk {
  readonly team: string;
  readonly bytes: Buffer;
  /** Id of the run's last row. */
  readonly lastId: number;
}

export class EventRing {
  #rows: EventRow[] = [];
  /** The last shared chunk asked for, by start position (cleared when positions move). */
  #memo: { readonly from: number; readonly chunk: TeamChunk | undefined } | undefined;
  /** Index of the oldest live row in #rows (trimmed rows are compacted away lazily). */
  #start = 0;
  #bytes = 0;
  /** Every committed event with floor < id <= top is in the window. */
  floor: number;
  top: number;

  constructor(
    readonly maxRows: number,
    readonly maxBytes: number,
    at = 0,
  ) {
    this.floor = at;
    this.top = at;
  }

  /** Empties the window and restarts it at `at` (the newest committed id). */
  reset(at: number): void {
    this.#memo = undefined;
    this.#rows = [];
    this.#start = 0;
    this.#bytes = 0;
    this.floor = at;
    this.top = at;
  }

  /** Appends rows read as `id > top order by id`: they continue the window without a gap. */
  append(rows: readonly EventRow[]): void {
    if (rows.length > 0) this.#memo = undefined;
    for (const r of rows) {
      if (r.id <= this.top) continue;
      this.#rows.push(r);
      this.#bytes += r.frame.length;
      this.top = r.id;
    }
    this.#trim();
  }

  #trim(): void {
    while (
      this.#rows.length - this.#start > 0 &&
      (this.#rows.length - this.#start > this.maxRows || this.#bytes > this.maxBytes)
    ) {
      const r = this.#rows[this.#start++] as EventRow;
      this.#bytes -= r.frame.length;
      this.floor = r.id;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#rows.length) {
      this.#rows = this.#rows.slice(this.#start);
      this.#start = 0;
    }
  }

  /** Number of rows in the window. */
  get size(): number {
    return this.#rows.length - this.#start;
  }

  /**
   * Position of the first row with id > `after`. Positions stay valid only until the next
   * append or reset, so callers iterate synchronously.
   */
  indexAfter(after: number): number {
    let lo = this.#start;
    let hi = this.#rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#rows[mid] as EventRow).id <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** One past the last position. */
  get end(): number {
    return this.#rows.length;
  }

  at(i: number): EventRow {
    return this.#rows[i] as EventRow;
  }

  /**
   * When every row from position `from` to the end names one team and no principal, their
   * frames joined and encoded once: every connection following that team writes exactly
   * these bytes (a row naming no principal is never a membership or revocation event of
   * the connection's own principal). Under load, one batch's events go to every subscriber
   * of the team as the same buffer instead of being encoded once per connection.
   */
  teamChunk(from: number): TeamChunk | undefined {
    if (this.#memo?.from === from) return this.#memo.chunk;
    let chunk: TeamChunk | undefined;
    const end = this.#rows.length;
    const first = this.#rows[from];
    if (first?.teamId && first.principalId === null) {
      let text = '';
      let i = from;
      for (; i < end; i++) {
        const r = this.#rows[i] as EventRow;
        if (r.teamId !== first.teamId || r.principalId !== null) break;
        text += r.frame;
        if (text.length > SHARED_MAX) break;
      }
      if (i === end)
        chunk = {
          team: first.teamId,
          bytes: Buffer.from(text),
          lastId: (this.#rows[end - 1] as EventRow).id,
        };
    }
    this.#memo = { from, chunk };
    return chunk;
  }
}
