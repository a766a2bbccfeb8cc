/**
 * Safety numbers on Node, computed synchronously with node:crypto's SHA-256 (the derivation
 * is in `../fingerprint.ts`).
 */
import { createHash } from 'node:crypto';
import { joinHalves, safetyHalf, safetyInput } from '../fingerprint.js';

/** SHA-256 now, without a promise (node:crypto). */
export function sha256Sync(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

const half = (id: Uint8Array) => safetyHalf(sha256Sync(safetyInput(id)));

/** The safety number of one principal (6 groups) or of a pair (12 groups), space-separated. */
export function safetyNumber(a: Uint8Array, b?: Uint8Array): string {
  return b ? joinHalves(a, half(a), b, half(b)) : joinHalves(a, half(a));
}
