/**
 * What every object body shares (PROTOCOL.md section 10.1): the format byte, `str` fields
 * with a maximum length in bytes, and one mapping of failures. A rule is checked by the same
 * code when writing and when reading, so a writer cannot produce what a reader refuses; a
 * writer reports a broken rule as ArgumentError (a caller's mistake), a reader as
 * EnvelopeError `encoding` (7.9 step 11), and neither message carries field contents.
 */
import { fromUtf8, utf8 } from '../bytes.js';
import { Reader, Writer } from '../encoding/canonical.js';
import { EnvelopeError } from '../envelope/errors.js';
import { ArgumentError, EncodingError } from '../errors.js';

/** The format byte that starts every version-1 body. */
export const BODY_FORMAT = 1;

/** 1 MiB: the largest message text, snippet content and entry value. */
export const MAX_LARGE = 1_048_576;

/** Throws the rule error that the encode and decode wrappers translate. */
export function rule(ok: boolean, message: string): asserts ok {
  if (!ok) throw new EncodingError(message);
}

/** Writes `str(s)` after checking its UTF-8 length is within `min..max` bytes. */
export function putStr(w: Writer, field: string, s: unknown, max: number, min = 0): void {
  rule(typeof s === 'string', `${field} must be a string`);
  const u = utf8(s);
  rule(u.length >= min && u.length <= max, `${field} must be ${min} to ${max} bytes`);
  w.bytes(u);
}

/** Reads `str` of `min..max` bytes of strict UTF-8. */
export function getStr(r: Reader, field: string, max: number, min = 0): string {
  const u = r.bytes(max);
  rule(u.length >= min, `${field} must be at least ${min} bytes`);
  return fromUtf8(u);
}

/** Reads a one-byte enumeration and names it through `names` (index = value - 1). */
export function getEnum<T extends string>(r: Reader, field: string, names: readonly T[]): T {
  const v = r.u8();
  const name = names[v - 1];
  rule(name !== undefined, `unknown ${field} ${v}`);
  return name;
}

/** The byte of an enumeration value; anything not listed is refused. */
export function enumByte<T extends string>(field: string, names: readonly T[], v: unknown): number {
  const i = names.indexOf(v as T);
  rule(i >= 0, `unknown ${field}`);
  return i + 1;
}

/** Runs a body writer after the format byte; every failure becomes an ArgumentError. */
export function encodeBody(what: string, write: (w: Writer) => void): Uint8Array {
  try {
    const w = new Writer().u8(BODY_FORMAT);
    write(w);
    return w.finish();
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    if (e instanceof EncodingError || e instanceof EnvelopeError) {
      throw new ArgumentError(`invalid ${what}: ${e.message}`);
    }
    // A non-object input (undefined, a number) fails on property access: a caller's mistake too.
    if (e instanceof TypeError) throw new ArgumentError(`invalid ${what}: ${e.message}`);
    throw e;
  }
}

/**
 * Reads the format byte, then the fields, then requires the input to be consumed exactly;
 * every failure becomes EnvelopeError `encoding`.
 */
export function decodeBody<T>(what: string, b: Uint8Array, read: (r: Reader) => T): T {
  if (!(b instanceof Uint8Array)) throw new ArgumentError(`${what} body must be a Uint8Array`);
  try {
    const r = new Reader(b);
    rule(r.u8() === BODY_FORMAT, `unknown ${what} body format`);
    const out = read(r);
    r.end();
    return out;
  } catch (e) {
    if (e instanceof EncodingError || e instanceof ArgumentError) {
      throw new EnvelopeError('encoding', `${what} body refused: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
