/**
 * The default target of a write that names no team: the one team this principal is in.
 * Shared by snippets and files; several teams or none is a usage error naming the way out.
 */
import type { Ctx } from './context.js';
import { NetworkError, UsageError } from './errors.js';
import type { Teams } from './teams.js';

/**
 * The id of the only team this principal belongs to (from the relay, or from the verified
 * local state when the relay is unreachable).
 * `hint` completes the error: what to do with no team, and with several.
 * @example const teamId = await onlyTeam(ctx, teams, { none: 'name a @member', several: 'name one' });
 */
export async function onlyTeam(
  ctx: Ctx,
  teams: Teams,
  hint: { readonly none: string; readonly several: string },
): Promise<string> {
  let ids: string[];
  try {
    ids = (await teams.list()).map((t) => t.id);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const me = ctx.id.principalId;
    ids = [...ctx.chains.teams.entries()]
      .filter(([id, st]) => !ctx.data.teams[id]?.gone && st.roleOf(me) !== undefined)
      .map(([id]) => id);
  }
  if (ids.length === 1 && ids[0]) return ids[0];
  throw new UsageError(
    ids.length === 0
      ? `you are in no team: ${hint.none}`
      : `you are in several teams: ${hint.several}`,
  );
}
