/**
 * Which team a call works on when it names none: the one team this principal is in. Shared
 * by snippets, files, secrets and kv. Several teams or none is a usage error naming the way
 * out, never a guess.
 */
import { fromBase64url } from '@hush/core';
import { findTeam, type Ctx } from './context.js';
import { NetworkError, NotFoundError, UsageError, VerificationError } from './errors.js';
import type { Teams } from './teams.js';

/** What the error says to do with no team, and with several. */
export interface TeamHint {
  readonly none: string;
  readonly several: string;
}

const ENTRY_HINT: TeamHint = {
  none: 'create one (hush team create) or join one (hush join)',
  several: 'name one with --team (or HUSH_TEAM)',
};

/**
 * The id of the only team this principal belongs to: one request for the relay's list (the
 * chosen team is synced and verified next anyway, the others never), or, when the relay is
 * unreachable, the verified local state.
 * @example const teamId = await onlyTeam(ctx, { none: 'name a @member', several: 'name one' });
 */
export async function onlyTeam(ctx: Ctx, hint: TeamHint): Promise<Uint8Array> {
  let ids: string[];
  try {
    const r = await ctx.api.request<{ teams?: { id?: unknown }[] }>('GET', '/v1/teams');
    if (!Array.isArray(r.teams) || r.teams.some((t) => typeof t.id !== 'string'))
      throw new VerificationError('malformed', 'the relay sent a malformed team list');
    ids = r.teams.map((t) => t.id as string);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const me = ctx.id.principalId;
    ids = [...ctx.chains.teams.entries()]
      .filter(([id, st]) => !ctx.data.teams[id]?.gone && st.roleOf(me) !== undefined)
      .map(([id]) => id);
  }
  if (ids.length === 1) {
    try {
      return fromBase64url(ids[0] as string);
    } catch {
      throw new VerificationError('malformed', 'the relay sent a malformed team id');
    }
  }
  throw new UsageError(
    ids.length === 0
      ? `you are in no team: ${hint.none}`
      : `you are in several teams: ${hint.several}`,
  );
}

/**
 * Resolves `team` (id or decrypted name) to a team id, syncing the team list once when the
 * name is not known here yet (a team joined from another device); undefined: the only team.
 * @example const teamId = await chooseTeam(ctx, teams, opts.team);
 */
export async function chooseTeam(
  ctx: Ctx,
  teams: Teams,
  team: string | undefined,
  hint: TeamHint = ENTRY_HINT,
): Promise<Uint8Array> {
  if (team === undefined) return onlyTeam(ctx, hint);
  if (team === '') throw new UsageError('the team name is empty');
  try {
    return await findTeam(ctx, team);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    await teams.list();
    return findTeam(ctx, team);
  }
}
