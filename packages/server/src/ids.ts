/** Ids on the wire and in the database are canonical base64url; these convert and validate. */
import { EncodingError, fromBase64url, toBase64url } from '@hush/core';
import { fail } from './errors.js';

export const b64 = toBase64url;

/** Decodes a base64url field of an exact length, or fails with HUSH_ERR_BAD_REQUEST naming the field. */
export function bytesField(name: string, value: unknown, len?: number): Uint8Array {
  if (typeof value !== 'string')
    fail('HUSH_ERR_BAD_REQUEST', `"${name}" must be a base64url string`);
  let b: Uint8Array;
  try {
    b = fromBase64url(value);
  } catch (e) {
    fail(
      'HUSH_ERR_BAD_REQUEST',
      `"${name}" is not canonical base64url${e instanceof EncodingError ? '' : ''}`,
    );
  }
  if (len !== undefined && b.length !== len)
    fail('HUSH_ERR_BAD_REQUEST', `"${name}" must be ${len} bytes`);
  return b;
}

/** Validates an id path parameter (32 bytes unless told otherwise) and returns it unchanged. */
export function idParam(name: string, value: unknown, len = 32): string {
  bytesField(name, value, len);
  return value as string;
}

/** A non-negative integer query parameter with a default. */
export function intParam(
  name: string,
  value: unknown,
  def: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined || value === '') return def;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value) || Number(value) > max) {
    fail('HUSH_ERR_BAD_REQUEST', `"${name}" must be a whole number between 0 and ${max}`);
  }
  return Number(value);
}

/** Buffer view of bytes, for database columns. */
export function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
