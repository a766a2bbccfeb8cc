/**
 * Pinning (PROTOCOL.md section 4.6): a client stores (seq, head hash) for every chain it
 * verified. A later chain must contain that exact link at that position: a shorter chain is
 * a rollback, a different hash at the pinned position is a fork. Neither is a silent refresh.
 */
import { equalBytes } from '../bytes.js';
import { ChainError } from './errors.js';
import type { Pin } from './team-links.js';

/** Checks a verified chain (its link hashes by seq) against a stored pin. */
export function checkAgainstPin(hashes: readonly Uint8Array[], pin: Pin): void {
  const h = hashes[pin.seq];
  if (h === undefined)
    throw new ChainError('rollback', `chain ends before the pinned link ${pin.seq}`);
  if (!equalBytes(h, pin.head))
    throw new ChainError('fork', `chain differs from the pinned link ${pin.seq}`);
}

/** The pin for a verified chain's head. */
export function pinOf(state: { seq: number; head: Uint8Array }): Pin {
  return { seq: state.seq, head: state.head };
}
