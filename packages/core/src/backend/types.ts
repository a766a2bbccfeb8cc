/**
 * The crypto backend: the only place primitives come from. Two implementations exist,
 * node:crypto (`@hush/core/node`) and WebCrypto (`webCryptoBackend`), and the same test
 * suite runs against both. Everything above this interface (HKDF, HPKE, envelopes,
 * STREAM, chains) is composition and is written once.
 *
 * All byte arguments are raw: 32-byte Ed25519 seeds and public keys, 32-byte X25519
 * scalars and public keys (RFC 7748), 32-byte AES keys, 12-byte nonces.
 */
export interface CryptoBackend {
  /** Human-readable name for test output and benchmarks, e.g. `node` or `webcrypto`. */
  readonly name: string;
  /** Cryptographically secure random bytes. */
  randomBytes(n: number): Uint8Array;
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Promise<Uint8Array>;
  /** HMAC-SHA-256(key, data). `key` may be any length, including empty. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** AES-256-GCM encryption; returns ciphertext || 16-byte tag. */
  aesGcmSeal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array>;
  /**
   * Optional bulk fast path: the same AES-256-GCM encryption as {@link aesGcmSeal}, returned
   * as `[ciphertext, tag]` instead of joined. Where the primitive hands out the two apart
   * (node:crypto), joining them costs an allocation and a copy of every byte, which is a
   * large share of sealing a 64 KiB STREAM chunk; callers that write the two out one after
   * the other (STREAM) skip that copy. Backends that only produce the joined form omit it.
   */
  aesGcmSealDetached?(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<readonly [ciphertext: Uint8Array, tag: Uint8Array]>;
  /** AES-256-GCM decryption of ciphertext || tag; throws OpenError when it does not authenticate. */
  aesGcmOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
  ): Promise<Uint8Array>;
  /** Ed25519 public key for a 32-byte seed (RFC 8032 section 5.1.5). */
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** Ed25519 signature (64 bytes) over `message`. */
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** Ed25519 verification; returns false (never throws) for any invalid key or signature. */
  ed25519Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
  /** X25519 public key for a 32-byte private scalar (RFC 7748). */
  x25519PublicKey(privateKey: Uint8Array): Promise<Uint8Array>;
  /** X25519(privateKey, publicKey); throws HpkeError when the result is all zero. */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
}
