/**
 * Progress bars for long transfers: bytes, rate and time left, redrawn in place on stderr at
 * most ten times a second. Only on a terminal: when stderr is a pipe or a file, or with
 * --json, nothing is drawn, so scripts see results and errors only.
 */

/** Bytes done so far and the total, when known. */
export interface Progress {
  readonly done: number;
  readonly total: number | undefined;
}

/** A bar that is updated with progress and finished once. */
export interface Bar {
  update(p: Progress): void;
  /** Draws the last state and ends the line (nothing when the bar was never drawn). */
  finish(): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * A byte count for people: `512 B`, `1.50 KiB`, `100 MiB`, `2.00 GiB`.
 * @example bytes(1536) === '1.50 KiB'
 */
export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`;
}

/** Seconds as `m:ss` or `h:mm:ss`. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One line of a bar: label, bar and percentage (when the total is known), bytes, rate, ETA.
 * @example
 * line('app.tar', { done: 512, total: 1024 }, 1000, 80)
 * // 'app.tar [##############.............]   50%  512 B / 1.00 KiB  512 B/s  ETA 0:01'
 */
export function line(label: string, p: Progress, elapsedMs: number, columns: number): string {
  const rate = elapsedMs > 0 ? (p.done * 1000) / elapsedMs : 0;
  const speed = `${bytes(Math.round(rate))}/s`;
  if (p.total === undefined) return `${label}  ${bytes(p.done)}  ${speed}`.slice(0, columns);
  const frac = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
  const eta = rate > 0 ? `ETA ${clock((p.total - p.done) / rate)}` : 'ETA --:--';
  const tail = `${String(Math.floor(frac * 100)).padStart(3)}%  ${bytes(p.done)} / ${bytes(p.total)}  ${speed}  ${eta}`;
  const room = columns - label.length - tail.length - 5;
  const width = Math.max(0, Math.min(30, room));
  const filled = Math.round(frac * width);
  const bar = width > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
  return `${label}${bar}  ${tail}`.slice(0, columns);
}

/**
 * A bar on stderr when `enabled` and stderr is a terminal; otherwise one that draws nothing.
 * @example
 * const bar = progressBar('app.tar', !g.json);
 * await hush.files.put(path, { onProgress: (p) => bar.update(p) });
 * bar.finish();
 */
export function progressBar(label: string, enabled: boolean): Bar {
  const err = process.stderr;
  if (!enabled || !err.isTTY) return { update: () => undefined, finish: () => undefined };
  const start = Date.now();
  let last = 0;
  let latest: Progress | undefined;
  const draw = () => {
    if (latest) err.write(`\r${line(label, latest, Date.now() - start, err.columns || 80)}\x1b[K`);
  };
  return {
    update(p) {
      latest = p;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw();
    },
    finish() {
      if (!latest) return;
      draw();
      err.write('\n');
    },
  };
}
