/**
 * The per-object-version STREAM key. The content key is random per file version and
 * travels inside the encrypted manifest; binding the object id and version here means a
 * chunk can never be moved between objects or versions, even if a content key were reused.
 */
import type { CryptoBackend } from '../backend/types.js';
import { expectBytes } from '../bytes.js';
import { Writer } from '../encoding/canonical.js';
import { hkdf } from '../kdf.js';
import { LABEL } from '../labels.js';

/** The HKDF label of STREAM keys. */
export const STREAM_KEY_LABEL = LABEL.stream;

/** A 32-byte AES-256-GCM key for one object version's STREAM; only {@link deriveStreamKey} makes one. */
export type StreamKey = Uint8Array & { readonly __brand: 'StreamKey' };

/**
 * streamKey = HKDF-SHA-256(ikm = contentKey, salt = objectId,
 * info = str("hush/v1/stream") || u64(version), L = 32).
 * @param contentKey 32 random bytes per file version.
 * @param objectId 16-byte object id.
 * @param version object version, 0..2^53 - 1.
 * @example
 * const key = await deriveStreamKey(backend, contentKey, objectId, 3);
 * const sealed = await sealAll(backend, key, bytes);
 */
export async function deriveStreamKey(
  b: CryptoBackend,
  contentKey: Uint8Array,
  objectId: Uint8Array,
  version: number,
): Promise<StreamKey> {
  expectBytes('contentKey', contentKey, 32);
  expectBytes('objectId', objectId, 16);
  const info = new Writer().str(STREAM_KEY_LABEL).u64(version).finish();
  return (await hkdf(b, contentKey, objectId, info, 32)) as StreamKey;
}
