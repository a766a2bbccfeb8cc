/**
 * Which team a secrets or KV call works on, and the one sync it needs. The team is the one
 * named (id or decrypted name), else the only team this principal is in; anything else is a
 * usage error, never a guess. The sync is steps 1-5 of docs/CLIENT.md for that team alone:
 * its chain, its members' principal chains, its keys, then its new objects.
 */
import { fromBase64url, toBase64url, type TeamState } from '@hush/core';
import { findTeam, syncTeamFull, type Ctx } from './context.js';
import { NotFoundError, UsageError, VerificationError } from './errors.js';
import type { Messages } from './messages.js';
import type { Teams } from './teams.js';

/** Resolves `team` (id or name; undefined: the only team) to a team id. */
export async function chooseTeam(
  ctx: Ctx,
  teams: Teams,
  team: string | undefined,
): Promise<Uint8Array> {
  if (team !== undefined) {
    if (team === '') throw new UsageError('the team name is empty');
    try {
      return await findTeam(ctx, team);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      await teams.list(); // a team joined from another device is not known here yet
      return findTeam(ctx, team);
    }
  }
  // One request, not teams.list(): the chosen team is synced next anyway, the others never.
  const r = await ctx.api.request<{ teams?: { id?: unknown }[] }>('GET', '/v1/teams');
  if (!Array.isArray(r.teams) || r.teams.some((t) => typeof t.id !== 'string'))
    throw new VerificationError('malformed', 'the relay sent a malformed team list');
  const ids = r.teams.map((t) => t.id as string);
  if (ids.length === 1) {
    try {
      return fromBase64url(ids[0] as string);
    } catch {
      throw new VerificationError('malformed', 'the relay sent a malformed team id');
    }
  }
  throw new UsageError(
    ids.length === 0
      ? 'you are in no team: create one (hush team create) or join one (hush join)'
      : 'you are in several teams: name one with --team (or HUSH_TEAM)',
  );
}

/** Syncs one team and its objects; refuses a team this principal is not a member of. */
export async function syncEntryTeam(
  ctx: Ctx,
  messages: Messages,
  teamId: Uint8Array,
): Promise<TeamState> {
  await ctx.flushOutbox();
  const session = new Set<string>();
  const st = await syncTeamFull(ctx, teamId, session);
  if (st.roleOf(ctx.id.principalId) === undefined)
    throw new NotFoundError(`you are not a member of team ${toBase64url(teamId).slice(0, 10)}`);
  await messages.syncTeamObjects(teamId, session);
  return st;
}
