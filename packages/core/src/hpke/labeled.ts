/**
 * LabeledExtract and LabeledExpand (RFC 9180 section 4): HKDF-SHA256 with the
 * "HPKE-v1" prefix and a suite_id, so no two uses of the KDF (across suites, KEM versus
 * key schedule, or labels) can ever be fed the same input.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat } from '../bytes.js';
import { ArgumentError } from '../errors.js';
import { hkdfExpand, hkdfExtract } from '../kdf.js';
import { HPKE_V1, i2osp2, label as labelBytes, NH } from './suite.js';

/**
 * LabeledExtract(salt, label, ikm) =
 * Extract(salt, "HPKE-v1" || suite_id || label || ikm).
 */
export function labeledExtract(
  b: CryptoBackend,
  suiteId: Uint8Array,
  salt: Uint8Array,
  label: string,
  ikm: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExtract(b, salt, concat(HPKE_V1, suiteId, labelBytes(label), ikm));
}

/**
 * LabeledExpand(prk, label, info, L) =
 * Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).
 */
export function labeledExpand(
  b: CryptoBackend,
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  // RFC 9180 section 4: L must fit in two bytes and HKDF caps output at 255 * Nh.
  if (!Number.isInteger(length) || length < 0 || length > 255 * NH) {
    throw new ArgumentError('LabeledExpand length out of range');
  }
  const labeledInfo = concat(i2osp2(length), HPKE_V1, suiteId, labelBytes(label), info);
  return hkdfExpand(b, prk, labeledInfo, length);
}
