/**
 * Multi-message HPKE contexts (RFC 9180 sections 5.1 to 5.3), FOR TESTS AND VECTORS
 * ONLY. hush seals exactly one message per encapsulation (hpkeSeal / hpkeOpen); these
 * contexts exist so the RFC vectors' encryptions (increasing sequence numbers) and
 * exports can be checked, and so a pinned ephemeral key (ikmE) can reproduce a vector.
 * Protocol code must not use them.
 */
import type { CryptoBackend } from '../backend/types.js';
import { expectBytes } from '../bytes.js';
import { ArgumentError } from '../errors.js';
import { decap, encap } from './kem.js';
import { keySchedule, sequenceNonce, type KeyScheduleOutput } from './key-schedule.js';
import { labeledExpand } from './labeled.js';
import { HUSH_SUITE, NH } from './suite.js';

abstract class BaseContext {
  protected readonly b: CryptoBackend;
  protected readonly ks: KeyScheduleOutput;
  #seq = 0;

  constructor(b: CryptoBackend, ks: KeyScheduleOutput) {
    this.b = b;
    this.ks = ks;
  }

  /** The sequence number the next seal or open will use. */
  get sequence(): number {
    return this.#seq;
  }

  /** Nonce for the current sequence number; HpkeError past MAX_SEQUENCE. */
  protected nonce(): Uint8Array {
    return sequenceNonce(this.ks.baseNonce, this.#seq);
  }

  protected advance(): void {
    this.#seq += 1;
  }

  /**
   * Secret export (RFC 9180 section 5.3):
   * LabeledExpand(exporter_secret, "sec", exporter_context, L).
   */
  export(exporterContext: Uint8Array, length: number): Promise<Uint8Array> {
    expectBytes('exporterContext', exporterContext);
    if (!Number.isInteger(length) || length < 0 || length > 255 * NH) {
      throw new ArgumentError('export length out of range');
    }
    return labeledExpand(
      this.b,
      HUSH_SUITE.id,
      this.ks.exporterSecret,
      'sec',
      exporterContext,
      length,
    );
  }
}

/** Sender side of a mode_base context. FOR TESTS AND VECTORS ONLY. */
export class HpkeSenderContext extends BaseContext {
  /** ContextS.Seal(aad, pt): AES-256-GCM under key and ComputeNonce(seq), then seq += 1. */
  async seal(aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    expectBytes('aad', aad);
    expectBytes('plaintext', plaintext);
    const ct = await this.b.aesGcmSeal(this.ks.key, this.nonce(), aad, plaintext);
    this.advance();
    return ct;
  }
}

/** Recipient side of a mode_base context. FOR TESTS AND VECTORS ONLY. */
export class HpkeRecipientContext extends BaseContext {
  /** ContextR.Open(aad, ct); seq advances only when the ciphertext authenticates. */
  async open(aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array> {
    expectBytes('aad', aad);
    expectBytes('ct', ct);
    const pt = await this.b.aesGcmOpen(this.ks.key, this.nonce(), aad, ct);
    this.advance();
    return pt;
  }
}

/**
 * SetupBaseS(pkR, info) with an optional pinned ephemeral ikmE (RFC 9180 section
 * 5.1.1). FOR TESTS AND VECTORS ONLY: a fixed ikmE reused for two messages destroys
 * confidentiality. Protocol code uses hpkeSeal.
 * @example
 * const { enc, context } = await setupBaseSender(b, pkR, info, ikmE);
 * const ct0 = await context.seal(aad0, pt); // sequence 0
 * const ct1 = await context.seal(aad1, pt); // sequence 1
 */
export async function setupBaseSender(
  b: CryptoBackend,
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  ikmE?: Uint8Array,
): Promise<{ enc: Uint8Array; context: HpkeSenderContext }> {
  expectBytes('info', info);
  const { sharedSecret, enc } = await encap(b, recipientPublicKey, ikmE);
  const ks = await keySchedule(b, sharedSecret, info, true);
  return { enc, context: new HpkeSenderContext(b, ks) };
}

/**
 * SetupBaseR(enc, skR, info) (RFC 9180 section 5.1.1). FOR TESTS AND VECTORS ONLY;
 * protocol code uses hpkeOpen. An invalid enc raises OpenError.
 */
export async function setupBaseRecipient(
  b: CryptoBackend,
  recipientPrivateKey: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
): Promise<HpkeRecipientContext> {
  expectBytes('info', info);
  const sharedSecret = await decap(b, enc, recipientPrivateKey);
  const ks = await keySchedule(b, sharedSecret, info, true);
  return new HpkeRecipientContext(b, ks);
}
