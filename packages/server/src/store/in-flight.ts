/**
 * Concurrent calls for the same key share one promise until it settles: a burst of requests
 * that all miss a cache (a restart, a chain that just grew) does the expensive load once
 * instead of once per request. A failed load fails every caller that shared it and is not
 * remembered: the next call tries again.
 */
export class InFlight<V> {
  readonly #pending = new Map<string, Promise<V>>();

  /** `load()`'s promise, or the one already running under `key`. */
  run(key: string, load: () => Promise<V>): Promise<V> {
    const running = this.#pending.get(key);
    if (running) return running;
    const p = load().finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
    return p;
  }
}
