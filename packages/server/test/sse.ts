/**
 * A small Server-Sent Events client for tests and benchmarks: `fetch` with a streaming body
 * parsed by the WHATWG event-stream rules (fields, comments, CR/LF/CRLF line ends, `id`
 * updating the last event id even without data). Events are kept in arrival order; tests
 * wait for them with `waitFor` / `take`, which fail with the events seen so far.
 */

/** One dispatched event. `id` is the id field of its own frame (undefined if it had none). */
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export interface SseOptions {
  /** Bearer access token. */
  readonly token?: string | undefined;
  /** Sent as `Last-Event-ID`. */
  readonly lastEventId?: string | number | undefined;
  /** Extra query string, without `?` (e.g. `since=12`). */
  readonly query?: string;
  readonly headers?: Record<string, string>;
}

const DEFAULT_WAIT_MS = 15_000;

export class SseClient {
  /** Every dispatched event, in order. */
  readonly events: SseEvent[] = [];
  /** Comment lines (without the leading colon and space), e.g. heartbeats. */
  readonly comments: string[] = [];
  /** The last event id as a browser EventSource would track it. */
  lastEventId = '';
  /** The response body when the server refused the stream. */
  error: { code?: string; message?: string } | undefined;
  ended = false;
  /** Resolves when the stream ends (server close, error or close()). */
  readonly done: Promise<void>;
  #cursor = 0;
  #changed: (() => void)[] = [];
  #abort = new AbortController();
  #markDone!: () => void;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
  ) {
    this.done = new Promise((resolve) => (this.#markDone = resolve));
  }

  /** Opens `GET <baseUrl><path>`; resolves once the response headers arrived. */
  static async open(
    baseUrl: string,
    opts: SseOptions = {},
    path = '/v1/events',
  ): Promise<SseClient> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      ...(opts.headers ?? {}),
    };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId);
    const abort = new AbortController();
    const res = await fetch(`${baseUrl}${path}${opts.query ? `?${opts.query}` : ''}`, {
      headers,
      signal: abort.signal,
    });
    const c = new SseClient(res.status, res.headers);
    c.#abort = abort;
    if (res.status !== 200 || !res.body) {
      const text = await res.text();
      try {
        c.error = (JSON.parse(text) as { error?: SseClient['error'] }).error;
      } catch {
        c.error = { message: text };
      }
      c.#finish();
      return c;
    }
    void c.#read(res.body);
    return c;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    let data: string[] = [];
    let type = '';
    let id: string | undefined;
    const line = (l: string): void => {
      if (l === '') {
        if (id !== undefined) this.lastEventId = id;
        if (data.length > 0)
          this.events.push({ id, event: type || 'message', data: data.join('\n') });
        data = [];
        type = '';
        id = undefined;
        return;
      }
      if (l.startsWith(':')) {
        this.comments.push(l.slice(1).replace(/^ /, ''));
        return;
      }
      const colon = l.indexOf(':');
      const field = colon < 0 ? l : l.slice(0, colon);
      const value = colon < 0 ? '' : l.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') type = value;
      else if (field === 'id' && !value.includes('\0')) id = value;
    };
    try {
      const reader = body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let m: RegExpExecArray | null;
        // A trailing CR may be the first half of CRLF: keep it for the next chunk.
        while ((m = /\r\n|\n|\r(?=[^\n])/.exec(buf))) {
          line(buf.slice(0, m.index));
          buf = buf.slice(m.index + m[0].length);
        }
        this.#notify();
      }
    } catch {
      // aborted or reset: the stream ended
    }
    this.#finish();
  }

  #finish(): void {
    this.ended = true;
    this.#markDone();
    this.#notify();
  }

  #notify(): void {
    const waiting = this.#changed;
    this.#changed = [];
    for (const w of waiting) w();
  }

  async #until<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = check();
      if (r !== undefined) return r;
      const left = deadline - Date.now();
      if (this.ended || left <= 0) {
        const seen = this.events.map((e) => `${e.id ?? '-'}:${e.event}`).join(' ');
        throw new Error(
          `SSE: ${what} ${this.ended ? 'never came (stream ended)' : `not seen in ${timeoutMs} ms`}; events: ${seen}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#changed.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the next event (after those already taken) matching `pred`; takes up to it. */
  async waitFor(
    pred: (e: SseEvent) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
    what = 'a matching event',
  ): Promise<SseEvent> {
    return this.#until(
      () => {
        for (let i = this.#cursor; i < this.events.length; i++) {
          const e = this.events[i] as SseEvent;
          if (pred(e)) {
            this.#cursor = i + 1;
            return e;
          }
        }
        return undefined;
      },
      what,
      timeoutMs,
    );
  }

  /** Waits for the next `n` events and takes them. */
  async take(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<SseEvent[]> {
    return this.#until(
      () => {
        if (this.events.length - this.#cursor < n) return undefined;
        const got = this.events.slice(this.#cursor, this.#cursor + n);
        this.#cursor += n;
        return got;
      },
      `${n} event(s)`,
      timeoutMs,
    );
  }

  /** Waits for a comment line matching `pred` (e.g. a heartbeat). */
  async waitForComment(pred: (c: string) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    return this.#until(() => this.comments.find(pred), 'a matching comment', timeoutMs);
  }

  /** Waits until the server ends the stream. */
  async waitForEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.#until(() => (this.ended ? true : undefined), 'the end of the stream', timeoutMs);
  }

  /** Events not yet taken. */
  get pending(): SseEvent[] {
    return this.events.slice(this.#cursor);
  }

  /** Closes the connection from the client side. */
  close(): void {
    this.#abort.abort();
  }
}

/** The parsed JSON data of an event. */
export function json<T = Record<string, unknown>>(e: SseEvent): T {
  return JSON.parse(e.data) as T;
}
