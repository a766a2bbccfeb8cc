// Small helpers shared by the server benches: a clock that agrees across processes, and
// percentiles.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Milliseconds on CLOCK_MONOTONIC (process.hrtime on Linux). Unlike performance.now(), whose
 * origin is the process start, it reads the same in every process on the machine, so a time
 * taken in a subscriber process can be compared with one taken in the writer.
 */
export function now() {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** The q-quantile (0..1) of a sorted array by the nearest-rank rule; NaN when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** p50, p99 and max of a list of numbers (copied, then sorted). */
export function summary(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s[s.length - 1] };
}

export { sleep };
