/**
 * Which secrets a member could read (PROTOCOL.md 12.5): every secret whose current value is
 * sealed under a generation that member held. A member holds every generation up to the one
 * current when it was last a member (walk-back opens the older ones), so after a removal
 * that is every value written before the rotation. hush re-keys the team, but cannot un-tell
 * a value: those must be rotated at their source.
 */
import {
  fromBase64url,
  fromUtf8,
  openTeamField,
  parseLink,
  teamCodec,
  teamFieldGeneration,
  toBase64url,
  type TeamState,
} from '@hush/core';
import { findPrincipal, parseId, type Ctx } from './context.js';
import type { EntryVersion } from './entries.js';
import { NotFoundError, UsageError } from './errors.js';

/** The name a member was given in a link ('' when it does not open). */
async function sealedName(ctx: Ctx, st: TeamState, who: Uint8Array, ct: Uint8Array) {
  try {
    const key = await ctx.chains.keyFor(st.id, teamFieldGeneration(ct));
    return fromUtf8(await openTeamField(ctx.b, key, 'member-name', who, ct));
  } catch {
    return '';
  }
}

/** A former member by display name: the name is in the link that made it a member. */
async function formerMember(ctx: Ctx, st: TeamState, name: string): Promise<Uint8Array> {
  const found = new Map<string, Uint8Array>();
  for (const text of ctx.data.teams[toBase64url(st.id)]?.links ?? []) {
    const link = await parseLink(ctx.b, teamCodec, fromBase64url(text));
    const b = link.body;
    const who =
      b.type === 'add-member' ? b.member : b.type === 'accept-invite' ? link.author : undefined;
    const ct = b.type === 'add-member' || b.type === 'accept-invite' ? b.nameCt : undefined;
    if (who && ct && ct.length > 0 && (await sealedName(ctx, st, who, ct)) === name)
      found.set(toBase64url(who), who);
  }
  if (found.size > 1)
    throw new UsageError(`several members were named "${name}": use the principal id`);
  const [first] = found.values();
  if (!first) throw new NotFoundError(`no member "${name}" in this team, now or before`);
  return first;
}

/** A member (principal id, or the display name of a current or former member). */
export async function resolveMember(ctx: Ctx, st: TeamState, member: string): Promise<Uint8Array> {
  const name = member.startsWith('@') ? member.slice(1) : member;
  const id = parseId(name);
  if (id) return id;
  try {
    return await findPrincipal(ctx, name, st);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    return formerMember(ctx, st, name);
  }
}

/**
 * The newest generation `principal` held: the current one while it is a member, else the
 * one current at its last link as a member.
 */
export function lastGenerationHeld(st: TeamState, principal: Uint8Array): number | undefined {
  if (st.roleOf(principal) !== undefined) return st.current.generation;
  for (let seq = st.seq; seq >= 0; seq--)
    if (st.roleAt(principal, seq) !== undefined) return st.generationAt(seq)?.generation;
  return undefined;
}

/** The live entries among `latest` whose value a holder of generation `held` can open. */
export function readableBy(latest: readonly EntryVersion[], held: number): EntryVersion[] {
  return latest.filter((v) => !v.deleted && v.generation <= held);
}
