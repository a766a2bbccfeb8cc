/**
 * The masking filter of `hush secrets run`: replaces every occurrence of a secret value (4
 * bytes or more; shorter ones would hide ordinary output) in a byte stream with `*****`.
 * Values are matched as the exact bytes the child was given, longest first.
 *
 * A stream arrives in arbitrary pieces, so a value can be split across two writes. The
 * filter holds back only a tail that could still begin a value (it equals the start of one)
 * and releases it as soon as it cannot, or at the end of the stream: no byte of a value is
 * ever written, and bytes that cannot be part of one are never delayed. What is held back at
 * the end was the start of a value that never completed: `hush secrets run` writes it out
 * (it is ordinary output); `partialAtEnd: 'mask'` masks it instead, for output that goes
 * in front of a model (the MCP server's `secret_run`).
 *
 * Shared by `hush secrets run` (packages/cli/src/runner.ts) and `secret_run` (masked-run.ts).
 */
import { Transform } from 'node:stream';

/** What replaces a value. */
export const MASK = Buffer.from('*****');

/** Values shorter than this many bytes are not masked. */
export const MIN_MASKED = 4;

/** Options of a Masker. */
export interface MaskOptions {
  /**
   * What `end` does with a held-back tail (the start of a value the stream never finished):
   * `release` writes it (the default), `mask` replaces it with the mask.
   */
  readonly partialAtEnd?: 'release' | 'mask';
}

/** A stateful masker for one stream. */
export class Masker {
  /** Values as bytes, longest first. */
  readonly #patterns: Buffer[];
  readonly #maskPartial: boolean;
  #held: Buffer = Buffer.alloc(0);

  /**
   * @example
   * const m = new Masker(['hunter22']);
   * m.push(Buffer.from('pw=hunt')); // 'pw=' (the rest could begin the value)
   * m.end(); // 'hunt'
   */
  constructor(values: Iterable<string>, opts: MaskOptions = {}) {
    this.#maskPartial = opts.partialAtEnd === 'mask';
    const unique = new Set<string>();
    for (const v of values) if (Buffer.byteLength(v) >= MIN_MASKED) unique.add(v);
    this.#patterns = [...unique].map((v) => Buffer.from(v)).sort((a, b) => b.length - a.length);
  }

  /** Whether any value is masked at all. */
  get active(): boolean {
    return this.#patterns.length > 0;
  }

  /** Feeds a chunk; returns what can be written now. */
  push(chunk: Buffer): Buffer {
    return this.#scan(this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk, false);
  }

  /** The end of the stream: releases (or, with `partialAtEnd: 'mask'`, masks) what was held back. */
  end(): Buffer {
    const rest = this.#held;
    this.#held = Buffer.alloc(0);
    if (rest.length === 0) return rest;
    // What is held is always a proper prefix of some value (see #scan).
    return this.#maskPartial ? MASK : this.#scan(rest, true);
  }

  /**
   * Where values occur in `buf` (the longest at each start), and where a tail of `buf`
   * could still become one (an open start). Occurrences come from Buffer.indexOf, native,
   * so scanning costs a pass per value rather than a compare per byte and value.
   */
  #find(buf: Buffer, final: boolean): { full: Map<number, number>; open: number[] } {
    const full = new Map<number, number>();
    const open: number[] = [];
    for (const p of this.#patterns) {
      for (let at = buf.indexOf(p); at >= 0; at = buf.indexOf(p, at + 1))
        if (!full.has(at)) full.set(at, p.length); // longest first: the first one is kept
      if (final) continue;
      const first = p[0] as number;
      for (let at = Math.max(0, buf.length - p.length + 1); at < buf.length; at++)
        if (buf[at] === first && buf.compare(p, 0, buf.length - at, at) === 0) open.push(at);
    }
    return { full, open };
  }

  /**
   * Left to right: at each start, a possible value still open holds back the rest;
   * otherwise the longest value there is masked and skipped.
   */
  #scan(buf: Buffer, final: boolean): Buffer {
    const { full, open } = this.#find(buf, final);
    const opens = new Set(open);
    const starts = [...new Set([...full.keys(), ...open])].sort((a, b) => a - b);
    const out: Buffer[] = [];
    let from = 0;
    let hold = buf.length;
    for (const at of starts) {
      if (at < from) continue;
      if (opens.has(at)) {
        hold = at;
        break;
      }
      out.push(buf.subarray(from, at), MASK);
      from = at + (full.get(at) as number);
    }
    out.push(buf.subarray(from, hold));
    this.#held = hold < buf.length ? Buffer.from(buf.subarray(hold)) : Buffer.alloc(0);
    return Buffer.concat(out);
  }
}

/**
 * A Transform that masks `values` in what passes through it.
 * @example
 * child.stdout.pipe(maskStream(['hunter22'])).pipe(process.stdout, { end: false });
 */
export function maskStream(values: Iterable<string>): Transform {
  const m = new Masker(values);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, m.push(chunk));
    },
    flush(done) {
      done(null, m.end());
    },
  });
}
