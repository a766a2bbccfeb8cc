/**
 * Cuts a byte stream of arbitrary write sizes into fixed-size blocks with one byte of
 * lookahead: a full block is handed out only once at least one more byte exists, so the
 * block left at the end is the last one. This is how both directions decide finality
 * without knowing the total length, in constant memory (one block).
 */
export class Rechunker {
  readonly #buf: Uint8Array;
  #len = 0;

  constructor(size: number) {
    this.#buf = new Uint8Array(size);
  }

  /**
   * Feeds `input`; awaits `onBlock` for each full block known not to be the last. Blocks
   * are views (into `input`, or into the internal buffer) valid only until `onBlock`
   * settles. Bytes kept between calls are copied, so callers may reuse their buffers.
   */
  async push(input: Uint8Array, onBlock: (block: Uint8Array) => Promise<void>): Promise<void> {
    const size = this.#buf.length;
    let off = 0;
    while (off < input.length) {
      if (this.#len === size) {
        await onBlock(this.#buf);
        this.#len = 0;
      } else if (this.#len === 0 && input.length - off > size) {
        // Zero-copy path for large writes: the block lies inside the input.
        await onBlock(input.subarray(off, off + size));
        off += size;
      } else {
        const n = Math.min(size - this.#len, input.length - off);
        this.#buf.set(input.subarray(off, off + n), this.#len);
        this.#len += n;
        off += n;
      }
    }
  }

  /** The buffered last block, 0..size bytes (a view valid until the next push). */
  rest(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
