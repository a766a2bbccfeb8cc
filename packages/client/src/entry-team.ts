/**
 * The one sync a secrets or KV call needs (the team is chosen by only-team.ts): steps 1-5 of
 * docs/CLIENT.md for that team alone: its chain, its members' principal chains, its keys,
 * then its new objects.
 */
import { toBase64url, type TeamState } from '@hush/core';
import { syncTeamFull, type Ctx } from './context.js';
import { NotFoundError } from './errors.js';
import type { Messages } from './messages.js';

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
