/**
 * `Range` requests on blob downloads (RFC 9110 section 14), one range at a time: enough for
 * a client resuming an interrupted download with `Range: bytes=N-`.
 */
import { fail } from '../errors.js';

/** An inclusive byte range of a blob. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const SINGLE = /^bytes=(\d{0,16})-(\d{0,16})$/;

/**
 * Parses a `Range` header against a blob of `length` bytes. Returns undefined to serve the
 * whole blob: no header, another unit, several ranges or a malformed value (a server may
 * ignore those, RFC 9110 section 14.2). A range starting at or beyond the end fails with
 * HUSH_ERR_RANGE_NOT_SATISFIABLE (416).
 *
 * @example
 * parseRange('bytes=100-', 1000); // { start: 100, end: 999 }
 * parseRange('bytes=-10', 1000);  // { start: 990, end: 999 }
 */
export function parseRange(header: string | undefined, length: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = SINGLE.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) fail('HUSH_ERR_RANGE_NOT_SATISFIABLE', undefined, { size: length });
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return undefined;
  if (start >= length) fail('HUSH_ERR_RANGE_NOT_SATISFIABLE', undefined, { size: length });
  return { start, end: b === '' ? length - 1 : Math.min(Number(b), length - 1) };
}
