/**
 * Canonical unpadded base64url (RFC 4648 section 5) as PROTOCOL.md section 1.2 defines it.
 * Decoders reject padding, characters outside the alphabet, a length of 1 mod 4 and
 * non-zero unused trailing bits, so every byte string has exactly one text form.
 */
import { EncodingError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as canonical unpadded base64url.
 * @example toBase64url(new Uint8Array([0xfb, 0xff])) // '-_8'
 */
export function toBase64url(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    s +=
      ALPHABET.charAt(n >>> 18) +
      ALPHABET.charAt((n >>> 12) & 63) +
      ALPHABET.charAt((n >>> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = (b[i] as number) << 16;
    s += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63);
  } else if (rest === 2) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8);
    s +=
      ALPHABET.charAt(n >>> 18) +
      ALPHABET.charAt((n >>> 12) & 63) +
      ALPHABET.charAt((n >>> 6) & 63);
  }
  return s;
}

/**
 * Decodes canonical unpadded base64url; anything else raises an EncodingError.
 * @example fromBase64url('-_8') // Uint8Array [0xfb, 0xff]
 */
export function fromBase64url(s: string): Uint8Array {
  if (typeof s !== 'string') throw new EncodingError('base64url input must be a string');
  if (s.length % 4 === 1) throw new EncodingError('base64url length is invalid');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? (LOOKUP[c] as number) : -1;
    if (v < 0) throw new EncodingError('base64url contains a character outside the alphabet');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new EncodingError('base64url has non-zero trailing bits (non-canonical)');
  }
  return out;
}
