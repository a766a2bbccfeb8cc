/**
 * The mode_base key schedule (RFC 9180 section 5.1) and the per-message nonce
 * (section 5.2). psk and psk_id are empty in mode_base.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, toHex } from '../bytes.js';
import { ArgumentError, HpkeError } from '../errors.js';
import { labeledExpand, labeledExtract } from './labeled.js';
import { HUSH_SUITE, MODE_BASE, NH, type KeyScheduleSuite } from './suite.js';

const EMPTY = new Uint8Array(0);

// psk_id_hash depends only on the suite in mode_base (psk_id is empty), so it is computed
// once per suite instead of once per message; the value is public.
const pskIdHashes = new Map<string, Uint8Array>();

async function cachedPskIdHash(b: CryptoBackend, suite: KeyScheduleSuite): Promise<Uint8Array> {
  const id = toHex(suite.id);
  let h = pskIdHashes.get(id);
  if (!h) {
    h = await labeledExtract(b, suite.id, EMPTY, 'psk_id_hash', EMPTY);
    pskIdHashes.set(id, h);
  }
  return h;
}

/**
 * Highest sequence number hush accepts. RFC 9180 allows up to 2^(8*Nn) - 1; hush stops
 * far earlier so the counter stays an exact JS integer and nobody approaches the AEAD
 * limits. hush itself only ever uses sequence number 0 (single-shot).
 */
export const MAX_SEQUENCE = 2 ** 32 - 1;

/** The secrets a mode_base context holds. */
export interface KeyScheduleOutput {
  /** mode || psk_id_hash || info_hash; returned for test vectors. */
  keyScheduleContext: Uint8Array;
  /** The key schedule `secret`; returned for test vectors. */
  secret: Uint8Array;
  /** AEAD key, Nk bytes. */
  key: Uint8Array;
  /** Base nonce, Nn bytes. */
  baseNonce: Uint8Array;
  /** Exporter secret, Nh bytes; empty when `withExporter` was false. */
  exporterSecret: Uint8Array;
}

/**
 * KeySchedule(mode_base, shared_secret, info, "", ""):
 *   psk_id_hash = LabeledExtract("", "psk_id_hash", "")
 *   info_hash   = LabeledExtract("", "info_hash", info)
 *   key_schedule_context = 0x00 || psk_id_hash || info_hash
 *   secret      = LabeledExtract(shared_secret, "secret", "")
 *   key         = LabeledExpand(secret, "key", key_schedule_context, Nk)
 *   base_nonce  = LabeledExpand(secret, "base_nonce", key_schedule_context, Nn)
 *   exporter_secret = LabeledExpand(secret, "exp", key_schedule_context, Nh)
 *
 * `suite` is {@link HUSH_SUITE} everywhere except the RFC vector tests. Single-shot seal
 * and open pass `withExporter = false` to skip a derivation they never use.
 */
export async function keySchedule(
  b: CryptoBackend,
  sharedSecret: Uint8Array,
  info: Uint8Array,
  withExporter: boolean,
  suite: KeyScheduleSuite = HUSH_SUITE,
): Promise<KeyScheduleOutput> {
  const [pskIdHash, infoHash, secret] = await Promise.all([
    cachedPskIdHash(b, suite),
    labeledExtract(b, suite.id, EMPTY, 'info_hash', info),
    labeledExtract(b, suite.id, sharedSecret, 'secret', EMPTY),
  ]);
  const ctx = concat(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const [key, baseNonce, exporterSecret] = await Promise.all([
    labeledExpand(b, suite.id, secret, 'key', ctx, suite.nk),
    labeledExpand(b, suite.id, secret, 'base_nonce', ctx, suite.nn),
    withExporter ? labeledExpand(b, suite.id, secret, 'exp', ctx, NH) : EMPTY,
  ]);
  return { keyScheduleContext: ctx, secret, key, baseNonce, exporterSecret };
}

/**
 * ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn) (RFC 9180 section 5.2).
 * Throws HpkeError past {@link MAX_SEQUENCE}.
 */
export function sequenceNonce(baseNonce: Uint8Array, seq: number): Uint8Array {
  if (!Number.isInteger(seq) || seq < 0) throw new ArgumentError('invalid sequence number');
  if (seq > MAX_SEQUENCE) throw new HpkeError('HPKE message limit reached');
  const nonce = baseNonce.slice();
  const n = nonce.length;
  // seq < 2^32, so only the last four bytes change.
  for (let i = 0; i < 4; i++) {
    nonce[n - 1 - i] = (nonce[n - 1 - i] as number) ^ ((seq >>> (8 * i)) & 0xff);
  }
  return nonce;
}
