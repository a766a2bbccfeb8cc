/**
 * The masking filter of `hush secrets run`: replaces every occurrence of a secret value (4
 * bytes or more; shorter ones would hide ordinary output) in a byte stream with `*****`.
 * Values are matched as the exact bytes the child was given, longest first.
 *
 * A stream arrives in arbitrary pieces, so a value can be split across two writes. The
 * filter holds back only a tail that could still begin a value (it equals the start of one)
 * and releases it as soon as it cannot, or at the end of the stream: no byte of a value is
 * ever written, and bytes that cannot be part of one are never delayed.
 */
import { Transform } from 'node:stream';

/** What replaces a value. */
export const MASK = Buffer.from('*****');

/** Values shorter than this many bytes are not masked. */
export const MIN_MASKED = 4;

/** A stateful masker for one stream. */
export class Masker {
  readonly #byFirst = new Map<number, Buffer[]>();
  #held: Buffer = Buffer.alloc(0);

  constructor(values: Iterable<string>) {
    const unique = new Set<string>();
    for (const v of values) if (Buffer.byteLength(v) >= MIN_MASKED) unique.add(v);
    const patterns = [...unique].map((v) => Buffer.from(v)).sort((a, b) => b.length - a.length);
    for (const p of patterns) {
      const first = p[0] as number;
      const list = this.#byFirst.get(first);
      if (list) list.push(p);
      else this.#byFirst.set(first, [p]);
    }
  }

  /** Whether any value is masked at all. */
  get active(): boolean {
    return this.#byFirst.size > 0;
  }

  /** Feeds a chunk; returns what can be written now. */
  push(chunk: Buffer): Buffer {
    return this.#scan(this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk, false);
  }

  /** The end of the stream: releases what was held back. */
  end(): Buffer {
    const rest = this.#held;
    this.#held = Buffer.alloc(0);
    return rest.length > 0 ? this.#scan(rest, true) : rest;
  }

  #scan(buf: Buffer, final: boolean): Buffer {
    const out: Buffer[] = [];
    let from = 0;
    let i = 0;
    this.#held = Buffer.alloc(0);
    while (i < buf.length) {
      const candidates = this.#byFirst.get(buf[i] as number);
      if (!candidates) {
        i++;
        continue;
      }
      const avail = buf.length - i;
      let match: Buffer | undefined;
      let open = false;
      for (const p of candidates) {
        if (p.length <= avail) {
          if (!match && buf.compare(p, 0, p.length, i, i + p.length) === 0) match = p;
        } else if (!final && !match && buf.compare(p, 0, avail, i, buf.length) === 0) {
          open = true; // a longer value may still follow: decide when more bytes arrive
        }
      }
      if (open) {
        this.#held = Buffer.from(buf.subarray(i));
        break;
      }
      if (match) {
        out.push(buf.subarray(from, i), MASK);
        i += match.length;
        from = i;
      } else i++;
    }
    out.push(
      buf.subarray(from, this.#held.length > 0 ? buf.length - this.#held.length : buf.length),
    );
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
