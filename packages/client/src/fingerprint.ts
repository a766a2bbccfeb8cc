/**
 * Safety numbers. Each principal contributes a half of 30 digits:
 *   h = SHA-256(str("hush/v1/safety-number") || principalId(32))
 *   half = six groups of five digits, group i = (big-endian 40-bit integer of h[5i .. 5i+5)) mod 100000
 * The safety number of two principals is the half of the smaller id (bytewise) followed by
 * the half of the larger one: 12 groups of 5 digits, the same on both sides. A principal's
 * own fingerprint is its half alone (6 groups), which is what a peer sees inside the pair's
 * number. A principal id is the hash of its genesis link, which names its first device's keys,
 * and every later device is signed into the chain from there; so equal numbers mean both
 * sides verified the same chains.
 */
import { compareBytes, Writer, type CryptoBackend } from '@hush/core';

/** The bytes hashed for a principal's half. */
export function safetyInput(id: Uint8Array): Uint8Array {
  return new Writer().str('hush/v1/safety-number').fixed(id, 32).finish();
}

/** The six groups of a half, from its hash. */
export function safetyHalf(h: Uint8Array): string[] {
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + (h[5 * i + j] as number);
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups;
}

/** Joins halves: one principal's alone, or a pair's with the smaller id's half first. */
export function joinHalves(
  a: Uint8Array,
  halfA: readonly string[],
  b?: Uint8Array,
  halfB?: readonly string[],
): string {
  if (!b || !halfB) return halfA.join(' ');
  return (compareBytes(a, b) <= 0 ? [...halfA, ...halfB] : [...halfB, ...halfA]).join(' ');
}

/** A principal's half through the backend's (asynchronous) SHA-256. */
export async function safetyHalfOf(b: CryptoBackend, id: Uint8Array): Promise<string[]> {
  return safetyHalf(await b.sha256(safetyInput(id)));
}
