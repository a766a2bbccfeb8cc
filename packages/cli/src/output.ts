/** Output helpers: aligned human tables, JSON, and explanations on stderr. */
import type { WhoAmI } from '@hush/client';

/** Writes a line to stdout (the command's result). */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a line to stderr (explanations and hints, never a result). */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints a value as JSON on stdout: the whole output under --json. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64url');
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** Display width of a string, ignoring control characters. */
function width(s: string): number {
  return [...s].length;
}

/** A cell must not break the table (or the terminal): control characters become spaces. */
export function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  // eslint-disable-next-line no-control-regex
  return String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/**
 * Prints rows as aligned columns with a header line; an empty table prints `empty` on
 * stderr instead so stdout stays empty.
 *
 * @example
 * table(['ID', 'NAME'], [['t1', 'core']], 'no teams yet');
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  empty?: string,
): void {
  if (rows.length === 0) {
    if (empty) note(empty);
    return;
  }
  const cells = [header.map(cell), ...rows.map((r) => r.map(cell))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => width(r[i] ?? ''))));
  for (const r of cells) {
    const line = r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
      .join('  ');
    out(line.trimEnd());
  }
}

/** Key/value lines, keys aligned. */
export function fields(pairs: readonly (readonly [string, unknown])[]): void {
  const w = Math.max(...pairs.map(([k]) => k.length));
  for (const [k, v] of pairs) out(`${`${k}:`.padEnd(w + 2)}${cell(v)}`);
}

/** The rows that describe an identity, for `fields`: an optional name first, then ids. */
export function identityRows(
  me: WhoAmI,
  opts: { name?: string; kind?: boolean } = {},
): [string, unknown][] {
  return [
    ...(opts.name !== undefined ? [['name', opts.name] as [string, unknown]] : []),
    ['principal', me.principalId],
    ['device', me.deviceId],
    ...(opts.kind ? [['kind', me.kind] as [string, unknown]] : []),
    ['server', me.server],
    ['fingerprint', me.fingerprint],
  ];
}

/** Milliseconds since the epoch as a short local time. */
export function time(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
