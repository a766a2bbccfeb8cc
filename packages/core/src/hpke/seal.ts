/**
 * Single-shot HPKE (RFC 9180 section 6.1, SealBase / OpenBase): one encapsulation, one
 * message at sequence number 0, so the nonce is base_nonce itself. This is the only HPKE
 * hush uses on the wire (key boxes, direct-message keys).
 */
import type { CryptoBackend } from '../backend/types.js';
import { expectBytes } from '../bytes.js';
import { ArgumentError, OpenError } from '../errors.js';
import { decap, encap } from './kem.js';
import { keySchedule } from './key-schedule.js';
import { NT, X25519_LEN } from './suite.js';

/**
 * SealBase(pkR, info, aad, pt): encrypts `plaintext` to the X25519 public key
 * `recipientPublicKey` with a fresh ephemeral key. `enc` is the 32-byte ephemeral public
 * key; `ct` is the AES-256-GCM ciphertext followed by its 16-byte tag.
 *
 * Throws ArgumentError for a key that is not 32 bytes and HpkeError when the recipient
 * key is rejected by X25519 (for example a low-order point giving the all-zero value).
 * @example
 * const { enc, ct } = await hpkeSeal(backend, devicePublicKey, info, aad, teamKey);
 * const teamKey2 = await hpkeOpen(backend, devicePrivateKey, enc, info, aad, ct);
 */
export async function hpkeSeal(
  b: CryptoBackend,
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  expectBytes('recipientPublicKey', recipientPublicKey, X25519_LEN);
  expectBytes('info', info);
  expectBytes('aad', aad);
  expectBytes('plaintext', plaintext);
  const { sharedSecret, enc } = await encap(b, recipientPublicKey);
  const { key, baseNonce } = await keySchedule(b, sharedSecret, info, false);
  const ct = await b.aesGcmSeal(key, baseNonce, aad, plaintext);
  key.fill(0);
  sharedSecret.fill(0);
  return { enc, ct };
}

/**
 * OpenBase(enc, skR, info, aad, ct): the inverse of {@link hpkeSeal}.
 *
 * Every failure that depends on the received bytes (an `enc` that is not 32 bytes or
 * that X25519 rejects, a `ct` shorter than the tag, a tag that does not verify under
 * this key, info and aad) raises one OpenError, so the caller cannot tell them apart
 * and neither can a remote party. A private key that is not 32 bytes, or arguments
 * that are not byte arrays, raise ArgumentError.
 * @example
 * const teamKey = await hpkeOpen(backend, devicePrivateKey, box.enc, info, aad, box.ct);
 */
export async function hpkeOpen(
  b: CryptoBackend,
  recipientPrivateKey: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Uint8Array> {
  expectBytes('recipientPrivateKey', recipientPrivateKey, X25519_LEN);
  expectBytes('enc', enc);
  expectBytes('info', info);
  expectBytes('aad', aad);
  expectBytes('ct', ct);
  if (enc.length !== X25519_LEN) throw new OpenError('invalid encapsulated key');
  if (ct.length < NT) throw new OpenError('ciphertext shorter than the tag');
  try {
    const sharedSecret = await decap(b, enc, recipientPrivateKey);
    const { key, baseNonce } = await keySchedule(b, sharedSecret, info, false);
    sharedSecret.fill(0);
    try {
      return await b.aesGcmOpen(key, baseNonce, aad, ct);
    } finally {
      key.fill(0);
    }
  } catch (cause) {
    if (cause instanceof OpenError || cause instanceof ArgumentError) throw cause;
    throw new OpenError(undefined, { cause });
  }
}
