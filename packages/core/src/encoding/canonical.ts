/**
 * The canonical binary encoding of everything hush signs or uses as associated data
 * (PROTOCOL.md section 1.3). Fields are written in a fixed order with fixed-width
 * big-endian integers and u32-length-prefixed byte strings, so parse(serialize(x)) = x
 * and serialize(parse(b)) = b for every canonical b: the reader rejects truncation,
 * trailing bytes, out-of-range values and invalid UTF-8.
 */
import { fromUtf8, utf8 } from '../bytes.js';
import { ArgumentError, EncodingError } from '../errors.js';

/** Largest integer a u64 field may carry: values stay exact as JS numbers. */
export const MAX_U64_SAFE = Number.MAX_SAFE_INTEGER;

/** Appends canonical fields to a growing buffer. */
export class Writer {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): number {
    if (this.#len + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    const at = this.#len;
    this.#len += n;
    return at;
  }

  /** One byte, 0..255. */
  u8(v: number): this {
    checkInt(v, 0xff);
    const at = this.#reserve(1);
    this.#buf[at] = v;
    return this;
  }

  /** Two bytes big-endian. */
  u16(v: number): this {
    checkInt(v, 0xffff);
    const at = this.#reserve(2);
    this.#buf[at] = v >>> 8;
    this.#buf[at + 1] = v & 0xff;
    return this;
  }

  /** Four bytes big-endian. */
  u32(v: number): this {
    checkInt(v, 0xffffffff);
    const at = this.#reserve(4);
    new DataView(this.#buf.buffer).setUint32(at, v);
    return this;
  }

  /** Eight bytes big-endian; values are limited to 2^53 - 1 so they stay exact. */
  u64(v: number): this {
    checkInt(v, MAX_U64_SAFE);
    const at = this.#reserve(8);
    const dv = new DataView(this.#buf.buffer);
    dv.setUint32(at, Math.floor(v / 2 ** 32));
    dv.setUint32(at + 4, v >>> 0);
    return this;
  }

  /** Exactly `len` raw bytes (fixed-size fields such as keys and ids). */
  fixed(b: Uint8Array, len: number): this {
    if (!(b instanceof Uint8Array) || b.length !== len) {
      throw new ArgumentError(`fixed field expected ${len} bytes, got ${b?.length}`);
    }
    const at = this.#reserve(len); // grows #buf: read it only afterwards
    this.#buf.set(b, at);
    return this;
  }

  /** u32 length || bytes. */
  bytes(b: Uint8Array): this {
    if (!(b instanceof Uint8Array)) throw new ArgumentError('bytes field expected Uint8Array');
    this.u32(b.length);
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
    return this;
  }

  /** u32 length || UTF-8 bytes. */
  str(s: string): this {
    return this.bytes(utf8(s));
  }

  /** 0x00 when absent, else 0x01 followed by the value written by `write`. */
  opt<T>(v: T | undefined | null, write: (w: this, v: T) => void): this {
    if (v === undefined || v === null) return this.u8(0);
    this.u8(1);
    write(this, v);
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

function checkInt(v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new ArgumentError(`integer field out of range: expected 0..${max}`);
  }
}

/** Reads canonical fields; every read is bounds-checked. Call `end()` to reject trailing bytes. */
export class Reader {
  readonly #b: Uint8Array;
  readonly #dv: DataView;
  #at = 0;

  constructor(b: Uint8Array) {
    this.#b = b;
    this.#dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  #take(n: number): number {
    if (n > this.#b.length - this.#at) throw new EncodingError('truncated input');
    const at = this.#at;
    this.#at += n;
    return at;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#b.length - this.#at;
  }

  u8(): number {
    return this.#b[this.#take(1)] as number;
  }

  u16(): number {
    return this.#dv.getUint16(this.#take(2));
  }

  u32(): number {
    return this.#dv.getUint32(this.#take(4));
  }

  u64(): number {
    const at = this.#take(8);
    const hi = this.#dv.getUint32(at);
    const lo = this.#dv.getUint32(at + 4);
    if (hi > 0x1fffff) throw new EncodingError('u64 value exceeds 2^53 - 1');
    return hi * 2 ** 32 + lo;
  }

  fixed(len: number): Uint8Array {
    const at = this.#take(len);
    return this.#b.slice(at, at + len);
  }

  bytes(max = 0xffffffff): Uint8Array {
    const len = this.u32();
    if (len > max) throw new EncodingError(`byte string longer than ${max}`);
    return this.fixed(len);
  }

  str(max = 0xffff): string {
    return fromUtf8(this.bytes(max));
  }

  /** A presence byte (0 or 1; anything else is non-canonical) then the value. */
  opt<T>(read: (r: this) => T): T | undefined {
    const flag = this.u8();
    if (flag === 0) return undefined;
    if (flag !== 1) throw new EncodingError('optional presence byte must be 0 or 1');
    return read(this);
  }

  /** Reads a one-byte tag that must be one of `allowed`. */
  enumU8<T extends number>(name: string, allowed: readonly T[]): T {
    const v = this.u8();
    if (!allowed.includes(v as T)) throw new EncodingError(`unknown ${name} ${v}`);
    return v as T;
  }

  /** Requires that the whole input was consumed. */
  end(): void {
    if (this.#at !== this.#b.length) throw new EncodingError('trailing bytes after structure');
  }
}
