/**
 * Padmé padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
 * Communication with PURBs", PETS 2019): lengths are rounded up so that at most
 * O(log log L) bits of the length leak, with at most 12% overhead.
 */
import { EncodingError } from './errors.js';
import { Reader, Writer } from './encoding/canonical.js';

/** The smallest padded body, so short messages all look alike. */
export const MIN_PADDED = 64;

/** Padmé(L): the padded length for a length L. */
export function padme(len: number): number {
  if (len < 2) return len;
  const e = Math.floor(Math.log2(len));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.floor((len + mask) / 2 ** lastBits) * 2 ** lastBits;
}

/** Padded size of a body of `len` bytes: max(64, Padmé(4 + len)). */
export function paddedSize(len: number): number {
  return Math.max(MIN_PADDED, padme(4 + len));
}

/** u32 length || body || zero bytes, to paddedSize(body.length). */
export function pad(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedSize(body.length));
  out.set(new Writer().bytes(body).finish());
  return out;
}

/** Inverse of pad; rejects a length beyond the buffer and any non-zero padding byte. */
export function unpad(padded: Uint8Array): Uint8Array {
  const r = new Reader(padded);
  const body = r.bytes(padded.length);
  for (let i = 4 + body.length; i < padded.length; i++) {
    if (padded[i] !== 0) throw new EncodingError('non-zero padding');
  }
  if (padded.length !== paddedSize(body.length)) throw new EncodingError('wrong padded length');
  return body;
}
