/** Small byte helpers shared by every module. No crypto here. */
import { ArgumentError, EncodingError } from './errors.js';

/** Concatenates byte arrays into a new array. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Compares two byte arrays in time independent of where they differ.
 * Lengths are public: arrays of different length compare unequal at once.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Encodes a string as UTF-8. Lone surrogates are rejected, never replaced. */
export function utf8(s: string): Uint8Array {
  if (!s.isWellFormed()) throw new EncodingError('string is not well-formed Unicode');
  return utf8Encoder.encode(s);
}

/** Decodes strict UTF-8; invalid sequences raise an EncodingError. */
export function fromUtf8(b: Uint8Array): string {
  try {
    return utf8Decoder.decode(b);
  } catch {
    throw new EncodingError('bytes are not valid UTF-8');
  }
}

/** Throws an ArgumentError unless `b` is a Uint8Array of exactly `len` bytes. */
export function expectBytes(name: string, b: unknown, len?: number): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new ArgumentError(`"${name}" expected Uint8Array`);
  if (len !== undefined && b.length !== len) {
    throw new ArgumentError(
      `"${name}" expected Uint8Array of length ${len}, got length=${b.length}`,
    );
  }
  return b;
}

/** Lower-case hex, for ids in logs and tests. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Parses lower- or upper-case hex of even length. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new EncodingError('invalid hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lexicographic comparison of byte arrays (for canonical sort orders). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
