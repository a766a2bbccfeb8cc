/**
 * Agent secret grants (`hush.grants`, docs/CLIENT.md "Agents and secrets"): a KV entry named
 * `hush:agent-secrets:<agent principal id>` whose JSON value is `{"envs": [...]}`, the
 * environments whose secrets the MCP server's `secret_run` may inject for that agent.
 *
 * Any member who may write KV can write such an entry (the relay cannot tell, and agents may
 * write KV), so a reader decides what counts: the latest version of the entry is in force
 * only if its author is a human principal whose role at the chain position the version names
 * is owner or admin, and its value is exactly `{"envs": [names]}`. Anything else (no entry,
 * a tombstone, an agent's or a writer's version, a malformed value) grants nothing; since
 * only the latest version counts, a revocation cannot be undone by an older version.
 */
import { PRINCIPAL_KIND, ROLE, roleName, toBase64url, utf8, type TeamState } from '@hush/core';
import { findPrincipal, teamName, type Ctx } from './context.js';
import { Entries, KV_ENTRIES, type EntryVersion } from './entries.js';
import { syncEntryTeam } from './entry-team.js';
import { AuthError, NotFoundError } from './errors.js';
import { RESERVED_PREFIX } from './kv.js';
import type { Messages } from './messages.js';
import { chooseTeam } from './only-team.js';
import type { Author } from './secret-types.js';
import { DEFAULT_ENVIRONMENT, environmentOf } from './secrets.js';
import type { Teams } from './teams.js';

/** The KV name of a grant, before the agent's principal id. */
export const GRANT_PREFIX = `${RESERVED_PREFIX}agent-secrets:`;

/** A grant as a reader judges it. */
export interface SecretGrant {
  /** The principal the grant is for. */
  readonly agent: string;
  readonly team: { readonly id: string; readonly name: string };
  /** The environments `secret_run` may use; empty unless `granted`. */
  readonly envs: readonly string[];
  /** A valid grant is in force. */
  readonly granted: boolean;
  /** Why nothing is granted ('' when granted). */
  readonly reason: string;
  /** The grant entry's latest version (0: never written). */
  readonly version: number;
  /** Who wrote that version. */
  readonly by?: Author;
}

/** Which team, and (for `allow` and `revoke`) which environments. */
export interface GrantOptions {
  /** Team id or name; default: the only team. */
  readonly team?: string;
  /** `allow`: default `development`; `revoke`: default every environment. */
  readonly envs?: readonly string[];
}

/** The value's envs, when it is exactly `{"envs": [environment names]}`. */
function envsOf(json: string): string[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  const envs = (v as { envs?: unknown }).envs;
  if (keys.length !== 1 || !Array.isArray(envs)) return undefined;
  try {
    return envs.map((e) => {
      if (typeof e !== 'string') throw new TypeError('not a name');
      return environmentOf({ env: e });
    });
  } catch {
    return undefined;
  }
}

/** The grants namespace of the SDK (`hush.grants`). */
export class Grants {
  readonly #entries: Entries;

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
    private readonly messages: Messages,
  ) {
    this.#entries = new Entries(ctx, teams, messages, KV_ENTRIES);
  }

  /** What a version grants: its environments, or why it grants nothing. */
  #judge(st: TeamState, v: EntryVersion | undefined): { envs: string[]; reason: string } {
    if (!v) return { envs: [], reason: 'no grant was written' };
    if (v.deleted) return { envs: [], reason: 'the grant was revoked' };
    const author = this.ctx.chains.resolve(v.author);
    if (!author || author.kind !== PRINCIPAL_KIND.human)
      return { envs: [], reason: 'its latest version was written by an agent, not a human' };
    const role = st.roleAt(v.author, v.chainSeq);
    if (role !== ROLE.owner && role !== ROLE.admin)
      return {
        envs: [],
        reason: `its latest version was written by a ${role === undefined ? 'non-member' : roleName(role)}, not an owner or admin`,
      };
    const envs = envsOf(new TextDecoder().decode(v.value));
    if (!envs) return { envs: [], reason: 'its latest version is not {"envs": [...]}' };
    if (envs.length === 0) return { envs: [], reason: 'the grant names no environment' };
    return { envs, reason: '' };
  }

  /** Syncs the team and reads one principal's grant entry. */
  async #read(member: string | undefined, team: string | undefined) {
    const teamId = await chooseTeam(this.ctx, this.teams, team);
    const st = await syncEntryTeam(this.ctx, this.messages, teamId);
    const agent =
      member === undefined ? this.ctx.id.principalId : await findPrincipal(this.ctx, member, st);
    const v = await this.#entries.current(teamId, '', GRANT_PREFIX + toBase64url(agent));
    return { teamId, st, agent, v };
  }

  async #shape(st: TeamState, agent: Uint8Array, v: EntryVersion | undefined) {
    const { envs, reason } = this.#judge(st, v);
    const grant: SecretGrant = {
      agent: toBase64url(agent),
      team: { id: toBase64url(st.id), name: await teamName(this.ctx, st) },
      envs,
      granted: reason === '',
      reason,
      version: v?.version ?? 0,
      ...(v
        ? {
            by: {
              principalId: toBase64url(v.author),
              name: await this.messages.nameOf(v.author),
            },
          }
        : {}),
    };
    return grant;
  }

  /**
   * A principal's grant in a team (default: this principal's own), as a reader judges it.
   * @example
   * const g = await hush.grants.get(); // in the MCP server: may secret_run use these envs?
   * if (!g.envs.includes('production')) console.log(g.reason);
   */
  async get(member?: string, opts: { team?: string } = {}): Promise<SecretGrant> {
    const { st, agent, v } = await this.#read(member, opts.team);
    return this.#shape(st, agent, v);
  }

  /** Refuses a writer who is not a human owner or admin, or a principal not in the team. */
  #mayGrant(st: TeamState, agent: Uint8Array): void {
    const role = st.roleOf(this.ctx.id.principalId);
    if (this.ctx.id.kind !== 'human' || (role !== ROLE.owner && role !== ROLE.admin))
      throw new AuthError(
        'only a human owner or admin of the team grants secrets to an agent (a grant written by anyone else is ignored)',
      );
    if (st.roleOf(agent) === undefined)
      throw new NotFoundError(`${toBase64url(agent)} is not a member of this team`);
  }

  /** Writes `envs` as the grant (a tombstone when empty), compare-and-set on `base`. */
  async #write(teamId: Uint8Array, agent: Uint8Array, envs: readonly string[], base: number) {
    const value = envs.length > 0 ? utf8(JSON.stringify({ envs })) : undefined;
    await this.#entries.write(teamId, [
      { environment: '', name: GRANT_PREFIX + toBase64url(agent), value, ifVersion: base },
    ]);
  }

  /**
   * Lets the MCP server of `member` (an agent's principal id or name) run commands with the
   * secrets of `envs` (default `development`), added to what a valid grant allowed before.
   * Only a human owner or admin may; the agent must be a member of the team.
   * @example
   * await hush.grants.allow('reviewer', { team: 'core', envs: ['development', 'test'] });
   */
  async allow(member: string, opts: GrantOptions = {}): Promise<SecretGrant> {
    const envs = (opts.envs ?? [DEFAULT_ENVIRONMENT]).map((e) => environmentOf({ env: e }));
    const { teamId, st, agent, v } = await this.#read(member, opts.team);
    this.#mayGrant(st, agent);
    const now = this.#judge(st, v);
    const after = [...new Set([...now.envs, ...envs])].sort();
    if (now.reason !== '' || after.length !== now.envs.length)
      await this.#write(teamId, agent, after, v?.version ?? 0);
    return this.get(toBase64url(agent), { team: toBase64url(teamId) });
  }

  /**
   * Takes back `envs` (default: every environment: the grant is deleted). Revoking what is
   * not granted changes nothing.
   * @example
   * await hush.grants.revoke('reviewer', { team: 'core' });
   */
  async revoke(member: string, opts: GrantOptions = {}): Promise<SecretGrant> {
    const drop = opts.envs?.map((e) => environmentOf({ env: e }));
    const { teamId, st, agent, v } = await this.#read(member, opts.team);
    this.#mayGrant(st, agent);
    const before = this.#judge(st, v).envs;
    const after = drop ? before.filter((e) => !drop.includes(e)) : [];
    const live = v !== undefined && !v.deleted;
    // A live entry that grants nothing (an agent's own, say) is deleted too.
    if (live && (after.length !== before.length || before.length === 0 || !drop))
      await this.#write(teamId, agent, after, v.version);
    return this.get(toBase64url(agent), { team: toBase64url(teamId) });
  }
}
