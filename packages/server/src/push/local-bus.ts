/** The in-process bus: enough for one server on SQLite. Other buses wrap it for fan-out. */
import { EventEmitter } from 'node:events';
import type { Bus, EventNotice } from '../context.js';

export class LocalBus implements Bus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  publish(notices: readonly EventNotice[]): void {
    for (const n of notices) this.deliver(n);
  }

  /** Hands a notice (from this process or another) to local listeners. */
  deliver(n: EventNotice): void {
    this.#emitter.emit('notice', n);
  }

  subscribe(listener: (n: EventNotice) => void): () => void {
    this.#emitter.on('notice', listener);
    return () => this.#emitter.off('notice', listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}
