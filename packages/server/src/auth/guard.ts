/**
 * Bearer authentication and the membership checks every team route shares. A revoked
 * device is refused at once, whatever token it holds.
 */
import type { Role } from '@hush/core';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Caller, Context } from '../context.js';
import { prepared, type Prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { fail } from '../errors.js';
import { idParam } from '../ids.js';
import { limitDevice } from '../limits/rate-limits.js';
import { hashToken } from './tokens.js';

/** The access token's device and principal, with the principal chain's head. */
function tokenQuery(db: Kysely<Database>, hash: string) {
  return db
    .selectFrom('tokens')
    .innerJoin('devices', 'devices.id', 'tokens.device_id')
    .innerJoin('principals', 'principals.id', 'devices.principal_id')
    .select([
      'tokens.device_id',
      'tokens.expires_at',
      'devices.principal_id',
      'devices.revoked_at',
      'principals.head_seq as principal_head',
    ])
    .where('tokens.hash', '=', hash)
    .where('tokens.kind', '=', 'access');
}

const tokenRow = prepared(1, (db, hash: string) => tokenQuery(db, hash));

/** The same, with the head of a team's chain (null: no such team), in one round trip. */
const tokenRowInTeam = prepared(2, (db, hash: string, teamId: string) =>
  tokenQuery(db, hash).select((eb) =>
    eb.selectFrom('teams').select('head_seq').where('id', '=', teamId).as('team_head'),
  ),
);

/** The same, with the caller's role in a team (null: not a member, or no such team). */
const tokenRowAsMember = prepared(2, (db, hash: string, teamId: string) =>
  tokenQuery(db, hash).select((eb) =>
    eb
      .selectFrom('team_members')
      .select('role')
      .where('team_id', '=', teamId)
      .whereRef('principal_id', '=', 'devices.principal_id')
      .as('member_role'),
  ),
);

const memberRow = prepared(2, (db, teamId: string, principalId: string) =>
  db
    .selectFrom('team_members')
    .select('role')
    .where('team_id', '=', teamId)
    .where('principal_id', '=', principalId),
);

function bearer(req: FastifyRequest): string {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer '))
    fail('HUSH_ERR_UNAUTHENTICATED', 'missing access token: sign in first');
  return hashToken(h.slice(7).trim());
}

type TokenRow = NonNullable<Awaited<ReturnType<typeof tokenRow.first>>>;

function callerOf(ctx: Context, req: FastifyRequest, row: TokenRow | undefined): Caller {
  if (!row || row.expires_at <= Date.now()) fail('HUSH_ERR_UNAUTHENTICATED');
  if (row.revoked_at !== null) fail('HUSH_ERR_DEVICE_REVOKED');
  // Counted per device only once the token is known good, so nobody can exhaust another's bucket.
  limitDevice(ctx, req, row.device_id);
  return {
    deviceId: row.device_id,
    principalId: row.principal_id,
    principalHead: Number(row.principal_head),
  };
}

/**
 * Resolves the caller from `Authorization: Bearer hat_...`, or fails with a coded error;
 * also applies the per-device rate limit (HUSH_ERR_RATE_LIMITED with `Retry-After`).
 */
export async function authenticate(ctx: Context, req: FastifyRequest): Promise<Caller> {
  return callerOf(ctx, req, await tokenRow.first(ctx.store.db, bearer(req)));
}

/**
 * The caller and the team id path parameter, with `query`'s row (the token read together
 * with something about the team). A malformed id still has the token checked first (a bad
 * id without a token answers 401), then answers its 400.
 */
async function authenticateForTeam<R extends TokenRow>(
  ctx: Context,
  req: FastifyRequest,
  rawTeamId: unknown,
  query: Prepared<[hash: string, teamId: string], R>,
): Promise<{ caller: Caller; teamId: string; row: R | undefined }> {
  let teamId: string;
  try {
    teamId = idParam('id', rawTeamId);
  } catch (e) {
    await authenticate(ctx, req);
    throw e;
  }
  const row = await query.first(ctx.store.db, bearer(req), teamId);
  return { caller: callerOf(ctx, req, row), teamId, row };
}

/**
 * `authenticate` and the team id parameter, reading in the same query the head of the
 * team's chain the request is about (null when there is no such team), for
 * `ctx.chains.team(teamId, teamHead)`: a write then costs one read before its batch
 * instead of three.
 */
export async function authenticateInTeam(
  ctx: Context,
  req: FastifyRequest,
  rawTeamId: unknown,
): Promise<{ caller: Caller; teamId: string; teamHead: number | null }> {
  const { caller, teamId, row } = await authenticateForTeam(ctx, req, rawTeamId, tokenRowInTeam);
  const head = row?.team_head;
  return { caller, teamId, teamHead: head === null || head === undefined ? null : Number(head) };
}

/**
 * `authenticate` and the team id parameter, reading the caller's role in that team in the
 * same query. The role is undefined for a non-member; `requireMember` turns that into the
 * 404, once the route has checked its other parameters.
 */
export async function authenticateMember(
  ctx: Context,
  req: FastifyRequest,
  rawTeamId: unknown,
): Promise<{ caller: Caller; teamId: string; role: Role | undefined }> {
  const { caller, teamId, row } = await authenticateForTeam(ctx, req, rawTeamId, tokenRowAsMember);
  return { caller, teamId, role: (row?.member_role ?? undefined) as Role | undefined };
}

/** The role, or HUSH_ERR_NOT_FOUND for a non-member (no existence leak). */
export function requireMember(role: Role | undefined): Role {
  if (role === undefined) fail('HUSH_ERR_NOT_FOUND', 'no such team, or you are not a member');
  return role;
}

/** The caller's role in a team, failing with NOT_FOUND for non-members (no existence leak). */
export async function memberRole(ctx: Context, caller: Caller, teamId: string): Promise<Role> {
  const row = await memberRow.first(ctx.store.db, teamId, caller.principalId);
  return requireMember(row?.role as Role | undefined);
}
