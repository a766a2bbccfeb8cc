/**
 * The part shared by team and direct envelopes: content-key commitment, AEAD with the
 * header as associated data, Padmé padding, and the author's signature.
 *
 * keyCommit  = HMAC-SHA-256(contentKey, str("hush/v1/content-commit"))
 * ciphertext = AES-256-GCM(contentKey, nonce = 0^12, aad = str("hush/v1/object-aad") || header, pad(body))
 * signature  = Ed25519(authorDevice, str("hush/v1/object-sig") || bytes(header) || SHA-256(ciphertext))
 *
 * The zero nonce is safe because every content key is derived with a fresh random keySalt.
 */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes } from '../bytes.js';
import { ArgumentError } from '../errors.js';
import { hkdf } from '../kdf.js';
import type { ContentKey } from '../keys.js';
import { LABEL, labelled } from '../labels.js';
import { pad, unpad } from '../padding.js';
import { EnvelopeError } from './errors.js';
import { encodeEnvelope, encodeHeader, FLAG_TOMBSTONE, type EnvelopeHeader } from './header.js';

const ZERO_NONCE = new Uint8Array(12);

/**
 * The content key of an object version: HKDF(ikm, salt, str(label) || u8 collection ||
 * objectId(16) || u64 objectVersion || keySalt(16)), with label "hush/v1/object" and salt
 * teamId for team envelopes, "hush/v1/direct" and an empty salt for direct envelopes.
 */
export async function deriveContentKey(
  b: CryptoBackend,
  ikm: Uint8Array,
  salt: Uint8Array,
  label: string,
  h: Pick<EnvelopeHeader, 'collection' | 'objectId' | 'objectVersion' | 'keySalt'>,
): Promise<ContentKey> {
  const info = labelled(label)
    .u8(h.collection)
    .fixed(h.objectId, 16)
    .u64(h.objectVersion)
    .fixed(h.keySalt, 16)
    .finish();
  return (await hkdf(b, ikm, salt, info, 32)) as ContentKey;
}

/** HMAC-SHA-256(contentKey, str("hush/v1/content-commit")). */
export function contentCommitment(b: CryptoBackend, key: ContentKey): Promise<Uint8Array> {
  return b.hmacSha256(key, labelled(LABEL.contentCommit).finish());
}

function aad(header: Uint8Array): Uint8Array {
  return labelled(LABEL.objectAad).fixed(header, header.length).finish();
}

/**
 * The message an author device signs for an envelope:
 * str("hush/v1/object-sig") || bytes(header) || SHA-256(ciphertext). Exported so the relay
 * can check signatures with the same bytes clients use.
 */
export async function envelopeSignatureMessage(
  b: CryptoBackend,
  header: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  return labelled(LABEL.objectSig)
    .bytes(header)
    .fixed(await b.sha256(ciphertext), 32)
    .finish();
}

/** Seals a body under a header whose keyCommit is already set; returns the envelope bytes. */
export async function sealContent(
  b: CryptoBackend,
  header: EnvelopeHeader,
  key: ContentKey,
  body: Uint8Array,
  authorSigSeed: Uint8Array,
): Promise<Uint8Array> {
  if ((header.flags & FLAG_TOMBSTONE) !== 0 && body.length !== 0) {
    throw new ArgumentError('a tombstone has an empty body');
  }
  const hb = encodeHeader(header);
  const ciphertext = await b.aesGcmSeal(key, ZERO_NONCE, aad(hb), pad(body));
  const signature = await b.ed25519Sign(
    authorSigSeed,
    await envelopeSignatureMessage(b, hb, ciphertext),
  );
  return encodeEnvelope(hb, ciphertext, signature);
}

/** Checks the author's signature; the caller has already established that sigPk is the author device's key. */
export async function verifyContentSignature(
  b: CryptoBackend,
  headerBytes: Uint8Array,
  ciphertext: Uint8Array,
  signature: Uint8Array,
  sigPk: Uint8Array,
): Promise<void> {
  if (
    !(await b.ed25519Verify(
      sigPk,
      await envelopeSignatureMessage(b, headerBytes, ciphertext),
      signature,
    ))
  ) {
    throw new EnvelopeError(
      'signature',
      'envelope signature does not verify for its author device',
    );
  }
}

/**
 * Asks the caller's rule whether the header's author device may have written this envelope
 * (`not-authorized` otherwise, with `message`), then checks its signature.
 */
export async function checkAuthor(
  b: CryptoBackend,
  parts: { header: Uint8Array; ciphertext: Uint8Array; signature: Uint8Array },
  header: EnvelopeHeader,
  authorize: (h: EnvelopeHeader) => Promise<Uint8Array> | Uint8Array,
  message: string,
): Promise<void> {
  let sigPk: Uint8Array;
  try {
    sigPk = await authorize(header);
  } catch (e) {
    throw new EnvelopeError('not-authorized', message, { cause: e });
  }
  await verifyContentSignature(b, parts.header, parts.ciphertext, parts.signature, sigPk);
}

/** Checks the key commitment, decrypts and unpads. */
export async function openContent(
  b: CryptoBackend,
  header: EnvelopeHeader,
  headerBytes: Uint8Array,
  ciphertext: Uint8Array,
  key: ContentKey,
): Promise<Uint8Array> {
  if (!equalBytes(await contentCommitment(b, key), header.keyCommit)) {
    throw new EnvelopeError(
      'key-commitment',
      'content key does not match the commitment in the header',
    );
  }
  let padded: Uint8Array;
  try {
    padded = await b.aesGcmOpen(key, ZERO_NONCE, aad(headerBytes), ciphertext);
  } catch {
    throw new EnvelopeError('decrypt', 'envelope ciphertext did not authenticate');
  }
  let body: Uint8Array;
  try {
    body = unpad(padded);
  } catch (e) {
    throw new EnvelopeError('encoding', 'envelope body padding is not canonical', { cause: e });
  }
  if ((header.flags & FLAG_TOMBSTONE) !== 0 && body.length !== 0) {
    throw new EnvelopeError('encoding', 'a tombstone must have an empty body');
  }
  return body;
}
