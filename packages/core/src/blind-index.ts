/**
 * Blind indexes: keyed HMACs the server can compare (uniqueness, compare-and-set, lookups)
 * without learning names. The index key is derived from generation 1 of the team key so
 * indexes stay stable across rotations (PROTOCOL.md section 8 says what that costs).
 *
 * indexKey   = HKDF(TK_1, salt = teamId, info = str("hush/v1/index-key"))
 * purposeKey = HKDF(indexKey, salt = empty, info = str("hush/v1/index") || str(purpose))
 * index      = HMAC-SHA-256(purposeKey, str(scope) || str(name))
 */
import type { CryptoBackend } from './backend/types.js';
import { expectBytes } from './bytes.js';
import { Writer } from './encoding/canonical.js';
import { hkdf } from './kdf.js';
import type { IndexKey, TeamKey } from './keys.js';
import { LABEL, labelled } from './labels.js';

/** What an index is for: each purpose has its own key, so indexes never collide across purposes. */
export type IndexPurpose = 'kv' | 'secret' | 'sync-path' | 'channel';

/** Derives the purpose key from the team's generation-1 key. */
export async function indexKey(
  b: CryptoBackend,
  firstTeamKey: TeamKey,
  teamId: Uint8Array,
  purpose: IndexPurpose,
): Promise<IndexKey> {
  expectBytes('teamId', teamId, 32);
  const root = await hkdf(b, firstTeamKey, teamId, labelled(LABEL.indexKey).finish(), 32);
  return (await hkdf(
    b,
    root,
    new Uint8Array(0),
    labelled(LABEL.index).str(purpose).finish(),
    32,
  )) as IndexKey;
}

/**
 * The 32-byte blind index of `name` within `scope` (e.g. a secret's environment; empty when unused).
 * @example const idx = await blindIndex(backend, await indexKey(backend, tk1, teamId, 'kv'), '', 'config');
 */
export function blindIndex(
  b: CryptoBackend,
  key: IndexKey,
  scope: string,
  name: string,
): Promise<Uint8Array> {
  return b.hmacSha256(key, new Writer().str(scope).str(name).finish());
}
