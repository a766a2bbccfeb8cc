/**
 * The reads a sync (`messages.sync`) will make for what this device already knows: the team
 * list, each team's chain and objects after the pins and cursors, the audit's key box hint,
 * its members' chains, and the inbox. Started together (`Api.prefetch`), their round trips
 * overlap; the sync still applies and verifies each answer in its own order. The queries
 * match the sync's own, key for key, or the prefetched answer is simply not used.
 */
import { toBase64url } from '@hush/core';
import { asksForHolders, recipientsQuery } from './audit.js';
import type { Ctx } from './context.js';

/** One GET to start early. */
export interface Read {
  readonly path: string;
  readonly query?: Record<string, number>;
  readonly auth?: boolean;
}

/** The reads of a sync of every team (or only `teamFilter`, then without the inbox). */
export function syncReads(ctx: Ctx, teamFilter?: string): Read[] {
  const gets: Read[] = [];
  const members = new Set<string>();
  if (!teamFilter) gets.push({ path: '/v1/teams' });
  for (const [tid, rec] of Object.entries(ctx.data.teams)) {
    const st = ctx.chains.teams.get(tid);
    if ((teamFilter ? tid !== teamFilter : rec.gone) || !st) continue;
    gets.push({ path: `/v1/teams/${tid}/links`, query: { since: rec.pin.seq } });
    gets.push({ path: `/v1/teams/${tid}/objects`, query: { since: rec.cursor, limit: 500 } });
    if (asksForHolders(ctx, st)) gets.push(recipientsQuery(st));
    for (const m of st.members.values()) members.add(toBase64url(m.principal));
  }
  for (const p of members) {
    const rec = ctx.data.principals[p];
    if (rec)
      gets.push({ path: `/v1/principals/${p}/links`, query: { since: rec.pin.seq }, auth: false });
  }
  if (!teamFilter)
    gets.push({ path: '/v1/inbox', query: { since: ctx.data.inbox.cursor, limit: 500 } });
  return gets;
}
