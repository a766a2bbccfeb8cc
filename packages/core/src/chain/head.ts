/**
 * What principal and team chains share: the verified link hashes by sequence number, the
 * head, the head's time, and the position checks every new link must pass before its
 * type-specific rules run (PROTOCOL.md section 3.1).
 */
import { equalBytes } from '../bytes.js';
import { ChainError } from './errors.js';
import type { ParsedLink } from './link.js';

export abstract class ChainHead {
  /** The chain id: the hash of its first link. */
  abstract readonly id: Uint8Array;
  /** Link hashes by sequence number, for pins. */
  readonly hashes: Uint8Array[] = [];
  #lastTime = 0;

  /** Sequence number of the head link. */
  get seq(): number {
    return this.hashes.length - 1;
  }

  /** Hash of the head link. */
  get head(): Uint8Array {
    return this.hashes[this.hashes.length - 1] as Uint8Array;
  }

  /** Time of the head link (ms since the epoch, as its author claimed). */
  get lastTime(): number {
    return this.#lastTime;
  }

  /**
   * Checks that `link` is the next link of this chain: same chain id, the next sequence
   * number, the head as previous hash, and a time not before the head's. Returns its seq.
   */
  protected checkPosition(link: ParsedLink<unknown>, what: string): number {
    const seq = this.seq + 1;
    if (!equalBytes(link.chainId, this.id)) {
      throw new ChainError('wrong-chain', `link belongs to another ${what}`, link.seq);
    }
    if (link.seq !== seq)
      throw new ChainError('bad-seq', `expected sequence number ${seq}`, link.seq);
    if (!equalBytes(link.prev, this.head)) {
      throw new ChainError('bad-prev', 'previous-link hash does not match', seq);
    }
    if (link.time < this.#lastTime) {
      throw new ChainError('time-order', 'link time is before the previous link', seq);
    }
    return seq;
  }

  /** Makes a verified link the new head. */
  protected advance(link: { hash: Uint8Array; time: number }): void {
    this.hashes.push(link.hash);
    this.#lastTime = link.time;
  }
}
