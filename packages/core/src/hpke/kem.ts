/**
 * DHKEM(X25519, HKDF-SHA256) (RFC 9180 section 4.1 and 7.1.3): key pair derivation,
 * Encap and Decap. The X25519 arithmetic is the backend's; only the KDF wiring is here.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, expectBytes } from '../bytes.js';
import { ArgumentError, HushError, OpenError } from '../errors.js';
import { labeledExpand, labeledExtract } from './labeled.js';
import { KEM_SUITE_ID, X25519_LEN } from './suite.js';

/** A raw X25519 key pair: 32-byte private scalar and 32-byte public key (RFC 7748). */
export interface X25519KeyPair {
  /** The 32-byte private key (an unclamped scalar; X25519 clamps it when used). */
  privateKey: Uint8Array;
  /** The 32-byte public key, SerializePublicKey(pk) in RFC 9180 terms. */
  publicKey: Uint8Array;
}

/**
 * The least input keying material accepted by {@link deriveX25519KeyPair}: 128 bits, the
 * floor DESIGN.md sets for invite secrets. RFC 9180 recommends Nsk = 32 bytes of entropy.
 */
export const MIN_IKM_LEN = 16;

const EMPTY = new Uint8Array(0);

/**
 * RFC 9180 section 7.1.3 DeriveKeyPair for X25519:
 * dkp_prk = LabeledExtract("", "dkp_prk", ikm);
 * sk = LabeledExpand(dkp_prk, "sk", "", 32); pk = X25519(sk, 9).
 *
 * `ikm` should carry at least 32 bytes of entropy; fewer than {@link MIN_IKM_LEN} bytes
 * raise an ArgumentError. The same ikm always gives the same key pair, so it is a secret.
 * @example
 * const { privateKey, publicKey } = await deriveX25519KeyPair(backend, seed32);
 */
export async function deriveX25519KeyPair(
  b: CryptoBackend,
  ikm: Uint8Array,
): Promise<X25519KeyPair> {
  const privateKey = await derivePrivateKey(b, ikm);
  return { privateKey, publicKey: await b.x25519PublicKey(privateKey) };
}

/** The private half of DeriveKeyPair: sk = LabeledExpand(dkp_prk, "sk", "", 32). */
async function derivePrivateKey(b: CryptoBackend, ikm: Uint8Array): Promise<Uint8Array> {
  expectBytes('ikm', ikm);
  if (ikm.length < MIN_IKM_LEN) {
    throw new ArgumentError(
      `"ikm" expected at least ${MIN_IKM_LEN} bytes, got length=${ikm.length}`,
    );
  }
  const prk = await labeledExtract(b, KEM_SUITE_ID, EMPTY, 'dkp_prk', ikm);
  return labeledExpand(b, KEM_SUITE_ID, prk, 'sk', EMPTY, X25519_LEN);
}

/**
 * A fresh random X25519 key pair: DeriveKeyPair over 32 bytes from the backend's CSPRNG
 * (RFC 9180 section 4: GenerateKeyPair may be implemented this way).
 * @example
 * const device = await generateX25519KeyPair(backend);
 */
export function generateX25519KeyPair(b: CryptoBackend): Promise<X25519KeyPair> {
  return deriveX25519KeyPair(b, b.randomBytes(X25519_LEN));
}

/** shared_secret = LabeledExpand(LabeledExtract("", "eae_prk", dh), "shared_secret", kem_context, 32). */
async function extractAndExpand(
  b: CryptoBackend,
  dh: Uint8Array,
  kemContext: Uint8Array,
): Promise<Uint8Array> {
  const prk = await labeledExtract(b, KEM_SUITE_ID, EMPTY, 'eae_prk', dh);
  return labeledExpand(b, KEM_SUITE_ID, prk, 'shared_secret', kemContext, X25519_LEN);
}

/** Result of Encap: the KEM shared secret and the encapsulated key (pkE). */
export interface Encapsulation {
  /** 32-byte KEM shared secret, input to the key schedule. */
  sharedSecret: Uint8Array;
  /** 32-byte enc = SerializePublicKey(pkE). */
  enc: Uint8Array;
}

/**
 * Encap(pkR) (RFC 9180 section 4.1). `ikmE` fixes the ephemeral key for test vectors;
 * without it the ephemeral key is random. Throws ArgumentError for a wrong-length key and
 * HpkeError when X25519 rejects pkR or yields the all-zero value.
 */
export async function encap(
  b: CryptoBackend,
  recipientPublicKey: Uint8Array,
  ikmE?: Uint8Array,
): Promise<Encapsulation> {
  expectBytes('recipientPublicKey', recipientPublicKey, X25519_LEN);
  const skE = await derivePrivateKey(b, ikmE ?? b.randomBytes(X25519_LEN));
  // Independent: with WebCrypto both run concurrently.
  const [enc, dh] = await Promise.all([b.x25519PublicKey(skE), b.x25519(skE, recipientPublicKey)]);
  skE.fill(0);
  const sharedSecret = await extractAndExpand(b, dh, concat(enc, recipientPublicKey));
  dh.fill(0);
  return { sharedSecret, enc };
}

/**
 * Decap(enc, skR) (RFC 9180 section 4.1). `enc` is untrusted wire data: a wrong length,
 * a point X25519 rejects or an all-zero result all raise OpenError. A wrong-length
 * private key is a programming error and raises ArgumentError.
 */
export async function decap(
  b: CryptoBackend,
  enc: Uint8Array,
  recipientPrivateKey: Uint8Array,
): Promise<Uint8Array> {
  expectBytes('recipientPrivateKey', recipientPrivateKey, X25519_LEN);
  if (!(enc instanceof Uint8Array) || enc.length !== X25519_LEN) {
    throw new OpenError('invalid encapsulated key');
  }
  let dh: Uint8Array;
  let pkR: Uint8Array;
  try {
    [dh, pkR] = await Promise.all([
      b.x25519(recipientPrivateKey, enc),
      b.x25519PublicKey(recipientPrivateKey),
    ]);
  } catch (cause) {
    if (cause instanceof HushError && !(cause instanceof ArgumentError)) {
      throw new OpenError('invalid encapsulated key', { cause });
    }
    throw cause;
  }
  const sharedSecret = await extractAndExpand(b, dh, concat(enc, pkR));
  dh.fill(0);
  return sharedSecret;
}
