/**
 * What every SDK namespace shares: the backend, the identity, the relay session, the
 * verified chains and keys, and saving state.json. Also the full per-team sync used by
 * every read and write (chain, every member's principal chain, keys).
 */
import {
  fromBase64url,
  fromUtf8,
  openTeamField,
  teamFieldGeneration,
  toBase64url,
  toHex,
  type CryptoBackend,
  type TeamState,
} from '@hush/core';
import type { Api } from './api.js';
import { auditTeam, confirmedHolders, warnMissingBoxes } from './audit.js';
import type { Chains } from './chains.js';
import { NetworkError, NotFoundError, UsageError } from './errors.js';
import type { Identity } from './identity.js';
import type { HomePaths, Platform } from './platform.js';
import type { StateData } from './state.js';
import type { HushStorage } from './storage.js';

const ZERO32 = new Uint8Array(32);

/** Shared SDK internals (not part of the public API). */
export interface Ctx {
  readonly b: CryptoBackend;
  readonly id: Identity;
  readonly api: Api;
  readonly chains: Chains;
  readonly data: StateData;
  readonly paths: HomePaths;
  save(): Promise<void>;
  /** Posts queued envelopes; called before every networked operation. */
  flushOutbox(): Promise<void>;
  /** Non-fatal findings of the last operations (e.g. a member's body that does not decode). */
  readonly warnings: string[];
  /** Where identity, state and outbox records live (files on Node, a key-value store elsewhere). */
  readonly storage: HushStorage;
  /** The platform's backend, storage and optional capabilities. */
  readonly platform: Platform;
  /** Safety-number halves computed so far, by principal id (base64url); our own from the start. */
  readonly safetyHalves: Map<string, readonly string[]>;
}

/**
 * Steps 1-4 for one team: chain, members' principal chains (fetched concurrently), keys,
 * and the audit's report of members' devices without a key box (a warning). Saves state.
 * Within one `session` a team is synced once: a later call returns the state that sync
 * verified.
 */
export async function syncTeamFull(
  ctx: Ctx,
  teamId: Uint8Array,
  session = new Set<string>(),
): Promise<TeamState> {
  const mark = `team:${toBase64url(teamId)}`;
  const done = ctx.chains.teams.get(toBase64url(teamId));
  if (done && session.has(mark)) return done;
  const st = await ctx.chains.syncTeam(ctx.api, teamId, session);
  await Promise.all(
    [...st.members.values()].map((m) => ctx.chains.syncPrincipal(ctx.api, m.principal, session)),
  );
  await ctx.chains.syncKeys(ctx.api, teamId, ctx.id.device);
  const audit = auditTeam(st, ctx.chains.resolve, Date.now(), await confirmedHolders(ctx, st));
  if (audit.missingKeyBoxes.length > 0)
    warnMissingBoxes(ctx, (await teamName(ctx, st)) || toBase64url(teamId).slice(0, 10), audit);
  await ctx.save();
  session.add(mark);
  return st;
}

/** Like syncTeamFull, but falls back to the pinned verified state when the relay is unreachable. */
export async function syncTeamOrCached(ctx: Ctx, teamId: Uint8Array): Promise<TeamState> {
  try {
    return await syncTeamFull(ctx, teamId);
  } catch (e) {
    const st = ctx.chains.teams.get(toBase64url(teamId));
    if (e instanceof NetworkError && st) return st;
    throw e;
  }
}

/** The decrypted team name ('' when this device holds no key for it). */
export async function teamName(ctx: Ctx, st: TeamState): Promise<string> {
  try {
    const g = teamFieldGeneration(st.nameCt);
    const key = await ctx.chains.keyFor(st.id, g);
    return fromUtf8(await openTeamField(ctx.b, key, 'team-name', ZERO32, st.nameCt));
  } catch {
    return '';
  }
}

/** A member's decrypted display name ('' when none was given). */
export async function memberName(ctx: Ctx, st: TeamState, principal: Uint8Array): Promise<string> {
  const m = st.members.get(toHex(principal));
  if (!m || m.nameCt.length === 0) return '';
  try {
    const key = await ctx.chains.keyFor(st.id, teamFieldGeneration(m.nameCt));
    return fromUtf8(await openTeamField(ctx.b, key, 'member-name', principal, m.nameCt));
  } catch {
    return '';
  }
}

/** Parses a 32-byte id in base64url, or undefined. */
export function parseId(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(s)) return undefined;
  try {
    return fromBase64url(s);
  } catch {
    return undefined;
  }
}

/** Resolves a team by id or decrypted name among the verified teams. */
export async function findTeam(ctx: Ctx, team: string): Promise<Uint8Array> {
  const id = parseId(team);
  if (id && ctx.data.teams[team]) return id;
  const matches: Uint8Array[] = [];
  for (const st of ctx.chains.teams.values())
    if ((await teamName(ctx, st)) === team) matches.push(st.id);
  if (matches.length > 1)
    throw new UsageError(`several teams are named "${team}": use the team id`);
  if (matches[0]) return matches[0];
  if (id) return id;
  throw new NotFoundError(`no team "${team}" (run teams.list() to refresh)`);
}

/** Resolves a member by principal id or display name (optionally within one team). */
export async function findPrincipal(ctx: Ctx, who: string, team?: TeamState): Promise<Uint8Array> {
  const name = who.startsWith('@') ? who.slice(1) : who;
  const id = parseId(name);
  if (id) return id;
  const found = new Map<string, Uint8Array>();
  for (const st of team ? [team] : ctx.chains.teams.values())
    for (const m of st.members.values())
      if ((await memberName(ctx, st, m.principal)) === name)
        found.set(toBase64url(m.principal), m.principal);
  if (name === ctx.id.name) found.set(toBase64url(ctx.id.principalId), ctx.id.principalId);
  if (found.size > 1)
    throw new UsageError(`several members are named "${name}": use the principal id`);
  const [first] = found.values();
  if (!first) throw new NotFoundError(`no member "${name}" in a verified team`);
  return first;
}
