/**
 * HPKE (RFC 9180) as hush uses it: mode_base, DHKEM(X25519, HKDF-SHA256) 0x0020,
 * HKDF-SHA256 0x0001, AES-256-GCM 0x0002, single-shot seal and open.
 *
 * Public API: {@link hpkeSeal}, {@link hpkeOpen}, {@link deriveX25519KeyPair},
 * {@link generateX25519KeyPair}, {@link X25519KeyPair} and the suite ids.
 * `setupBaseSender`, `setupBaseRecipient` and the context classes are exported FOR TESTS
 * AND VECTORS ONLY (multi-message contexts, pinned ephemeral keys) and are not meant for
 * the package entry point.
 */
export {
  HpkeRecipientContext,
  HpkeSenderContext,
  setupBaseRecipient,
  setupBaseSender,
} from './context.js';
export { deriveX25519KeyPair, generateX25519KeyPair, type X25519KeyPair } from './kem.js';
export { hpkeOpen, hpkeSeal } from './seal.js';
export { AEAD_ID as HPKE_AEAD_ID, KDF_ID as HPKE_KDF_ID, KEM_ID as HPKE_KEM_ID } from './suite.js';
