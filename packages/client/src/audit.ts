/**
 * The audit (PROTOCOL.md section 5.5, docs/CLIENT.md step 4), in two parts.
 *
 * Stale holders (decides writing): the current generation's recipients must each be an
 * active device of a current member, or an invite that is open or was accepted. Anything
 * else (a revoked device, a removed member's device, an invite that expired unused) still
 * holds the key: the team must rotate before anyone writes under it. A pending rotation
 * after a member left is refused for writing too. Only the verified chains decide this.
 *
 * Missing holders (reported): every active device of every current member must hold a key
 * box for the current generation: it is a recipient in the chain, or the relay serves a box
 * for it. The relay's list (`GET /v1/teams/:id/keyboxes/recipients`) is a hint: it can
 * claim a box that does not exist (the device then reads nothing, as when a relay withholds
 * anything) or hide one that does (a false report). Confirmed devices are remembered per
 * generation, so the relay is asked only about devices not yet confirmed.
 */
import { equalBytes, toBase64url, type PrincipalResolver, type TeamState } from '@hush/core';
import type { Ctx } from './context.js';
import { ClientError, VerificationError } from './errors.js';

/** What the audit found; `ok` when writing under the current generation is allowed. */
export interface AuditResult {
  readonly ok: boolean;
  readonly rotationPending: boolean;
  /** One line per stale key holder (device or invite id, shortened). */
  readonly problems: readonly string[];
  /**
   * One line per active device of a current member that holds no key box for the current
   * generation (per the chain and the relay's hint): it cannot read what is written now.
   * Does not affect `ok`; a rotation boxes the key to every such device.
   */
  readonly missingKeyBoxes: readonly string[];
}

/** An active device of a current member that the chain does not name as a recipient. */
interface Candidate {
  readonly device: string;
  readonly principal: string;
}

/** Active devices of current members that are not recipients of the current generation. */
function unnamed(st: TeamState, resolve: PrincipalResolver): Candidate[] {
  const out: Candidate[] = [];
  for (const m of st.members.values())
    for (const d of resolve(m.principal)?.activeDevices() ?? [])
      if (!st.current.recipients.some((r) => equalBytes(r, d.id)))
        out.push({ device: toBase64url(d.id), principal: toBase64url(m.principal) });
  return out;
}

/**
 * Audits a verified team against the verified principal chains of its members; `boxed`
 * holds the devices known to hold a box for the current generation outside its recipients.
 */
export function auditTeam(
  st: TeamState,
  resolve: PrincipalResolver,
  now = Date.now(),
  boxed: ReadonlySet<string> = new Set(),
): AuditResult {
  const problems: string[] = [];
  const active = [...st.members.values()].flatMap(
    (m) => resolve(m.principal)?.activeDevices() ?? [],
  );
  for (const r of st.current.recipients) {
    if (active.some((d) => equalBytes(d.id, r))) continue;
    const inv = st.invite(r);
    if (inv && (inv.used || inv.expires >= now)) continue;
    problems.push(
      `${inv ? 'expired invite' : 'device'} ${toBase64url(r).slice(0, 10)} still holds the current key`,
    );
  }
  const missingKeyBoxes = unnamed(st, resolve)
    .filter((c) => !boxed.has(c.device))
    .map(
      (c) =>
        `device ${c.device.slice(0, 10)} of member ${c.principal.slice(0, 10)} holds no key box for generation ${st.current.generation}`,
    );
  return {
    ok: problems.length === 0 && !st.rotationPending,
    rotationPending: st.rotationPending,
    problems,
    missingKeyBoxes,
  };
}

/** The query the relay is asked for the current generation's holders (shared with prefetch). */
export function recipientsQuery(st: TeamState): { path: string; query: { generation: number } } {
  return {
    path: `/v1/teams/${toBase64url(st.id)}/keyboxes/recipients`,
    query: { generation: st.current.generation },
  };
}

/** Devices known to hold the current key outside the chain's recipients, and those not yet. */
function holders(ctx: Ctx, st: TeamState): { known: Set<string>; open: Candidate[] } {
  const rec = ctx.data.teams[toBase64url(st.id)];
  const g = st.current.generation;
  const known = new Set(rec?.boxed?.generation === g ? rec.boxed.devices : []);
  if (rec?.keys[String(g)] !== undefined) known.add(toBase64url(ctx.id.device.id));
  return { known, open: unnamed(st, ctx.chains.resolve).filter((c) => !known.has(c.device)) };
}

/** Whether `confirmedHolders` will ask the relay (so a sync can start that read early). */
export function asksForHolders(ctx: Ctx, st: TeamState): boolean {
  return holders(ctx, st).open.length > 0;
}

/**
 * The devices outside the chain's recipients that hold a box for the current generation:
 * this device when it holds the key, those confirmed before, and those the relay lists now.
 * Asks the relay only when some device is not confirmed yet.
 */
export async function confirmedHolders(ctx: Ctx, st: TeamState): Promise<Set<string>> {
  const rec = ctx.data.teams[toBase64url(st.id)];
  const g = st.current.generation;
  const { known, open } = holders(ctx, st);
  if (open.length === 0 || !rec) return known;
  const q = recipientsQuery(st);
  let listed: unknown;
  try {
    listed = (await ctx.api.request<{ recipients?: unknown }>('GET', q.path, undefined, q))
      .recipients;
  } catch (e) {
    // A relay without the route (or gone for a moment) gives no hint: report nothing.
    if (e instanceof ClientError && !(e instanceof VerificationError)) return known;
    throw e;
  }
  if (!Array.isArray(listed) || !listed.every((x) => typeof x === 'string'))
    throw new VerificationError('malformed', 'the relay sent a malformed key box recipient list');
  const answer = new Set(listed as string[]);
  for (const c of open) if (answer.has(c.device)) known.add(c.device);
  // Only devices that are candidates are kept: the relay's list is not copied wholesale.
  const members = new Set(unnamed(st, ctx.chains.resolve).map((c) => c.device));
  rec.boxed = { generation: g, devices: [...known].filter((d) => members.has(d)).sort() };
  return known;
}

/** Pushes a warning per missing key box of one team (shown on reads). */
export function warnMissingBoxes(ctx: Ctx, teamLabel: string, a: AuditResult): void {
  for (const line of a.missingKeyBoxes)
    ctx.warnings.push(
      `team ${teamLabel}: ${line}, so it cannot read new messages (a member who may rotate: hush team rotate)`,
    );
}
