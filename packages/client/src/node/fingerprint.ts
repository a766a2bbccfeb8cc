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
import { createHash } from 'node:crypto';
import { compareBytes, Writer } from '@hush/core';

function half(id: Uint8Array): string[] {
  const h = createHash('sha256')
    .update(new Writer().str('hush/v1/safety-number').fixed(id, 32).finish())
    .digest();
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + (h[5 * i + j] as number);
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups;
}

/** The safety number of one principal (6 groups) or of a pair (12 groups), space-separated. */
export function safetyNumber(a: Uint8Array, b?: Uint8Array): string {
  if (!b) return half(a).join(' ');
  const [x, y] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
  return [...half(x), ...half(y)].join(' ');
}
