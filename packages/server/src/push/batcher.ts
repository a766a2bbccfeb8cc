/**
 * Groups the notices published during one turn of the event loop into one fan-out send,
 * one send at a time: under load a send carries many notices instead of one round trip
 * each. A failed send is retried twice, then dropped with a warning (every hub also
 * re-reads the log on its heartbeat, so a lost notice only delays delivery).
 */
import type { EventNotice } from '../context.js';

const RETRY_MS = [50, 200];

export class NoticeBatcher {
  #queue: EventNotice[] = [];
  #running: Promise<void> | undefined;

  constructor(
    readonly send: (batch: readonly EventNotice[]) => Promise<void>,
    readonly warn: (msg: string) => void,
  ) {}

  add(notices: readonly EventNotice[]): void {
    if (notices.length === 0) return;
    this.#queue.push(...notices);
    this.#kick();
  }

  #kick(): void {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      this.#kick();
    });
  }

  async #run(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      for (let attempt = 0; ; attempt++) {
        try {
          await this.send(batch);
          break;
        } catch (e) {
          const wait = RETRY_MS[attempt];
          if (wait === undefined) {
            this.warn(`push fan-out: dropped ${batch.length} notice(s): ${(e as Error)?.message}`);
            break;
          }
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    }
  }

  /** Waits until everything queued has been sent (or dropped). */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
