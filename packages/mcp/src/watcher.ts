/**
 * The live side of the server: one `hush.watch()` (the SDK's SSE watch, resumed with
 * Last-Event-ID) for the whole session. Each message it verified wakes every waiting
 * `wait_for_message` and is announced to the client; the waiters then look at the verified
 * cache themselves, so a message is never lost between two looks, whoever synced it.
 */
import type { Hush, Message } from '@hush/client';

/** Where the watcher reports (stderr: stdout belongs to MCP). */
export type Log = (line: string) => void;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/** Runs the SSE watch and tells waiters and listeners when something new was verified. */
export class Watcher {
  readonly #waiters = new Set<Waiter>();
  readonly #stop = new AbortController();
  #failure: unknown;
  #done: Promise<void> | undefined;

  constructor(
    private readonly hush: Hush,
    private readonly log: Log,
    /** Called for each new message from another principal. */
    private readonly onMessage: (m: Message) => void,
  ) {}

  /** Starts watching (once). */
  start(): void {
    this.#done ??= this.#loop();
  }

  async #loop(): Promise<void> {
    const me = this.hush.whoami().principalId;
    let backoff = 1000;
    while (!this.#stop.signal.aborted) {
      let reconnecting = false;
      try {
        for await (const ev of this.hush.watch({ signal: this.#stop.signal })) {
          if (ev.type === 'ready') {
            if (this.#failure !== undefined || reconnecting) this.log('watching the relay again');
            this.#failure = undefined;
            reconnecting = false;
            backoff = 1000;
          } else if (ev.type === 'reconnecting') {
            if (!reconnecting) this.log(`lost the relay's event stream (${ev.reason}); retrying`);
            reconnecting = true;
          } else if (ev.type === 'message') {
            if (ev.message.from.principalId !== me) this.onMessage(ev.message);
            this.poke();
          } else this.poke();
        }
      } catch (e) {
        if (this.#stop.signal.aborted) break;
        this.#failure = e;
        this.log(`the watch stopped: ${(e as Error).message}`);
        for (const w of this.#waiters) w.reject(e);
        this.#waiters.clear();
        // A revoked device stays revoked: retrying would only repeat the refusal.
        if ((e as { kind?: unknown }).kind === 'AUTH') return;
        await sleep(backoff, this.#stop.signal);
        backoff = Math.min(backoff * 2, 60_000);
      }
    }
  }

  /** Wakes every waiter: something may have been verified and cached. */
  poke(): void {
    for (const w of this.#waiters) w.resolve();
    this.#waiters.clear();
  }

  /**
   * Resolves at the next change (a message or team event the watch verified, or a tool's
   * sync); rejects at once while the watch is failing, with the reason it failed.
   */
  next(): Promise<void> {
    const p =
      this.#failure !== undefined
        ? Promise.reject(this.#failure)
        : new Promise<void>((resolve, reject) => this.#waiters.add({ resolve, reject }));
    // A waiter that timed out first never awaits it: that rejection is not unhandled.
    p.catch(() => undefined);
    return p;
  }

  /** Stops the watch and releases every waiter. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.poke();
    await this.#done?.catch(() => undefined);
  }
}
