/**
 * Bearer authentication and the membership checks every team route shares. A revoked
 * device is refused at once, whatever token it holds.
 */
import type { Role } from '@hush/core';
import type { FastifyRequest } from 'fastify';
import type { Caller, Context } from '../context.js';
import { prepared } from '../db/prepared.js';
import { fail } from '../errors.js';
import { limitDevice } from '../limits/rate-limits.js';
import { hashToken } from './tokens.js';

const tokenRow = prepared(1, (db, hash: string) =>
  db
    .selectFrom('tokens')
    .innerJoin('devices', 'devices.id', 'tokens.device_id')
    .select(['tokens.device_id', 'tokens.expires_at', 'devices.principal_id', 'devices.revoked_at'])
    .where('tokens.hash', '=', hash)
    .where('tokens.kind', '=', 'access'),
);

const memberRow = prepared(2, (db, teamId: string, principalId: string) =>
  db
    .selectFrom('team_members')
    .select('role')
    .where('team_id', '=', teamId)
    .where('principal_id', '=', principalId),
);

/**
 * Resolves the caller from `Authorization: Bearer hat_...`, or fails with a coded error;
 * also applies the per-device rate limit (HUSH_ERR_RATE_LIMITED with `Retry-After`).
 */
export async function authenticate(ctx: Context, req: FastifyRequest): Promise<Caller> {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer '))
    fail('HUSH_ERR_UNAUTHENTICATED', 'missing access token: sign in first');
  const token = h.slice(7).trim();
  const row = await tokenRow.first(ctx.store.db, hashToken(token));
  if (!row || row.expires_at <= Date.now()) fail('HUSH_ERR_UNAUTHENTICATED');
  if (row.revoked_at !== null) fail('HUSH_ERR_DEVICE_REVOKED');
  // Counted per device only once the token is known good, so nobody can exhaust another's bucket.
  limitDevice(ctx, req, row.device_id);
  return { deviceId: row.device_id, principalId: row.principal_id };
}

/** The caller's role in a team, failing with NOT_FOUND for non-members (no existence leak). */
export async function memberRole(ctx: Context, caller: Caller, teamId: string): Promise<Role> {
  const row = await memberRow.first(ctx.store.db, teamId, caller.principalId);
  if (!row) fail('HUSH_ERR_NOT_FOUND', 'no such team, or you are not a member');
  return row.role as Role;
}
