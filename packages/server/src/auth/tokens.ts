/**
 * Bearer tokens. An access token lives 15 minutes; a refresh token rotates on every use and
 * belongs to a family: presenting a spent refresh token revokes the whole family (it was
 * stolen or replayed). Tokens are 32 random bytes; only their SHA-256 is stored.
 */
import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { fail } from '../errors.js';

export const ACCESS_TTL_MS = 15 * 60 * 1000;
export const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;

export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Issues an access and a refresh token for a device, in a family (new or continued). */
export async function issueTokens(
  db: Kysely<Database>,
  deviceId: string,
  family?: string,
): Promise<TokenPair> {
  const accessToken = `hat_${randomBytes(32).toString('base64url')}`;
  const refreshToken = `hrt_${randomBytes(32).toString('base64url')}`;
  const fam = family ?? randomBytes(16).toString('base64url');
  const now = Date.now();
  await db
    .insertInto('tokens')
    .values([
      {
        hash: hashToken(accessToken),
        kind: 'access',
        device_id: deviceId,
        family: fam,
        expires_at: now + ACCESS_TTL_MS,
        used_at: null,
      },
      {
        hash: hashToken(refreshToken),
        kind: 'refresh',
        device_id: deviceId,
        family: fam,
        expires_at: now + REFRESH_TTL_MS,
        used_at: null,
      },
    ])
    .execute();
  return { accessToken, refreshToken, expiresIn: Math.floor(ACCESS_TTL_MS / 1000) };
}

/** Rotates a refresh token. A reused one revokes its family and fails. */
export async function refresh(db: Kysely<Database>, refreshToken: string): Promise<TokenPair> {
  const row = await db
    .selectFrom('tokens')
    .selectAll()
    .where('hash', '=', hashToken(refreshToken))
    .where('kind', '=', 'refresh')
    .executeTakeFirst();
  if (!row) fail('HUSH_ERR_UNAUTHENTICATED', 'unknown refresh token: sign in again');
  if (row.used_at !== null) {
    await db.deleteFrom('tokens').where('family', '=', row.family).execute();
    fail('HUSH_ERR_REFRESH_REUSED');
  }
  if (row.expires_at <= Date.now())
    fail('HUSH_ERR_UNAUTHENTICATED', 'refresh token expired: sign in again');
  const spent = await db
    .updateTable('tokens')
    .set({ used_at: Date.now() })
    .where('hash', '=', row.hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) {
    await db.deleteFrom('tokens').where('family', '=', row.family).execute();
    fail('HUSH_ERR_REFRESH_REUSED');
  }
  return issueTokens(db, row.device_id, row.family);
}
