/**
 * Token buckets keyed by a string (a device id, a client address). Each key holds at most
 * `burst` tokens and regains `rate` per second; a request takes one. Memory stays bounded:
 * full buckets carry no information and are dropped, and past `maxKeys` the oldest keys go.
 */

interface Bucket {
  tokens: number;
  at: number;
}

const SWEEP_EVERY_MS = 60_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep: number;

  /**
   * @param rate tokens regained per second
   * @param burst most tokens a key can hold (the bucket starts full)
   * @param maxKeys keys kept at most; beyond it the oldest are forgotten (they start full again)
   */
  constructor(
    readonly rate: number,
    readonly burst: number,
    readonly maxKeys = 100_000,
    now: number = performance.now(),
  ) {
    this.#lastSweep = now;
  }

  /**
   * Takes one token for `key`. Returns 0 when the request may proceed, otherwise the
   * seconds until a token is available (nothing is taken then).
   *
   * @example
   * const limits = new TokenBuckets(200, 400);
   * if (limits.take(deviceId) > 0) refuse();
   */
  take(key: string, now: number = performance.now()): number {
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    let b = this.#buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
      b.at = now;
    } else {
      if (this.#buckets.size >= this.maxKeys) this.#evict(now);
      b = { tokens: this.burst, at: now };
      this.#buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.rate;
  }

  /** Keys currently tracked (for tests). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forgets every bucket that has refilled: it is the same as a new one. */
  sweep(now: number = performance.now()): void {
    this.#lastSweep = now;
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.burst) this.#buckets.delete(k);
    }
  }

  #evict(now: number): void {
    this.sweep(now);
    // Still full of busy keys (many distinct clients, or an attacker rotating addresses):
    // forget the oldest tenth. Those keys start over with a full bucket.
    let drop = this.#buckets.size - Math.floor(this.maxKeys * 0.9);
    for (const k of this.#buckets.keys()) {
      if (drop-- <= 0) break;
      this.#buckets.delete(k);
    }
  }
}
