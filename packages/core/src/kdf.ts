/**
 * HKDF-SHA-256 (RFC 5869) composed on the backend's HMAC, so one code path serves
 * node:crypto and WebCrypto and HPKE's separate Extract/Expand steps. Tested against the
 * RFC 5869 vectors and node's native hkdfSync.
 */
import type { CryptoBackend } from './backend/types.js';
import { concat } from './bytes.js';
import { ArgumentError } from './errors.js';

/** HKDF-Extract(salt, ikm) = HMAC-SHA-256(salt, ikm). An empty salt means 32 zero bytes. */
export function hkdfExtract(
  b: CryptoBackend,
  salt: Uint8Array,
  ikm: Uint8Array,
): Promise<Uint8Array> {
  return b.hmacSha256(salt.length === 0 ? new Uint8Array(32) : salt, ikm);
}

/** HKDF-Expand(prk, info, length), length at most 255 * 32. */
export async function hkdfExpand(
  b: CryptoBackend,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32) {
    throw new ArgumentError('HKDF output length out of range');
  }
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, o = 0; o < length; i++) {
    t = await b.hmacSha256(prk, concat(t, info, Uint8Array.of(i)));
    out.set(t.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}

/**
 * HKDF-SHA-256(ikm, salt, info) -> `length` bytes.
 * @example const k = await hkdf(backend, teamKey, teamId, labelBytes, 32);
 */
export async function hkdf(
  b: CryptoBackend,
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return hkdfExpand(b, await hkdfExtract(b, salt, ikm), info, length);
}
