/**
 * Team operations: create, list, show, invite, join, add, remove (with rotation), set
 * role, rotate, leave. Every operation syncs and verifies first; links are built with
 * core's builders, applied locally by the relay's acceptance, and boxes are sealed only to
 * devices taken from verified principal chains.
 */
import {
  canRotate,
  createTeam,
  equalBytes,
  formatInviteToken,
  fromBase64url,
  invitePreviewMessage,
  inviteKeys,
  newInviteToken,
  openKeyBox,
  parseInviteToken,
  pinOf,
  ROLE,
  roleName,
  rotation,
  sealKeyBox,
  sealTeamField,
  TeamState,
  teamLink,
  toBase64url,
  utf8,
  type BoxRecipient,
  type Role,
  type RoleName,
  type TeamLinkBody,
  type TeamKey,
  type TeamState as TS,
} from '@hush/core';
import { auditTeam, confirmedHolders, type AuditResult } from './audit.js';
import {
  ConflictError,
  NotFoundError,
  UsageError,
  VerificationError,
  verificationFailure,
} from './errors.js';
import {
  findPrincipal,
  findTeam,
  memberName,
  syncTeamFull,
  teamName,
  type Ctx,
} from './context.js';

/** A team as listed. */
export interface TeamInfo {
  readonly id: string;
  readonly name: string;
  readonly role: RoleName;
  readonly generation: number;
  readonly headSeq: number;
  readonly members: number;
}

/** A member as shown. */
export interface MemberInfo {
  readonly principalId: string;
  readonly name: string;
  readonly role: RoleName;
  readonly kind: 'human' | 'agent';
  readonly devices: readonly { id: string; kind: 'device' | 'recovery'; revoked: boolean }[];
}

/** Everything `teams.show` reports. */
export interface TeamDetail extends TeamInfo {
  readonly head: string;
  readonly rotationPending: boolean;
  readonly audit: AuditResult;
  readonly memberList: readonly MemberInfo[];
  readonly openInvites: number;
}

/** Options of `teams.invite`. */
export interface InviteOptions {
  /** Role granted on acceptance (default writer). */
  readonly role?: RoleName;
  /** Validity in ms (default 7 days). */
  readonly expiresInMs?: number;
}

const DAY = 86_400_000;

function parseRole(r: RoleName | Role | undefined, dflt: Role): Role {
  if (r === undefined) return dflt;
  if (typeof r === 'number') return r;
  const v = (ROLE as Record<string, Role>)[r];
  if (v === undefined)
    throw new UsageError(`unknown role "${r}": owner, admin, writer, reader or agent`);
  return v;
}

/** The team namespace of the SDK (`hush.teams`). */
export class Teams {
  constructor(private readonly ctx: Ctx) {}

  async #info(st: TS): Promise<TeamInfo> {
    const role = st.roleOf(this.ctx.id.principalId);
    return {
      id: toBase64url(st.id),
      name: await teamName(this.ctx, st),
      role: role === undefined ? ('reader' as RoleName) : roleName(role),
      generation: st.current.generation,
      headSeq: st.seq,
      members: st.members.size,
    };
  }

  async #recipients(st: TS): Promise<BoxRecipient[]> {
    const out: BoxRecipient[] = [];
    for (const m of st.members.values()) {
      const p = this.ctx.chains.resolve(m.principal);
      if (p) out.push(...p.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })));
    }
    for (const i of st.openInvites(Date.now())) out.push({ id: i.id, kemPk: i.kemPk });
    return out;
  }

  /**
   * Sends links (and boxes) built against the verified head. `build` is called again after
   * a chain conflict, on a freshly synced state, up to three times.
   */
  async #append(
    teamId: Uint8Array,
    build: (
      st: TS,
    ) => Promise<{ links: Uint8Array[]; keyBoxes: Uint8Array[]; after?: () => Promise<void> }>,
  ): Promise<TS> {
    for (let attempt = 0; ; attempt++) {
      await this.ctx.flushOutbox();
      const st = await syncTeamFull(this.ctx, teamId);
      const { links, keyBoxes, after } = await build(st);
      try {
        await this.ctx.api.request('POST', `/v1/teams/${toBase64url(teamId)}/links`, {
          links: links.map(toBase64url),
          keyBoxes: keyBoxes.map(toBase64url),
        });
      } catch (e) {
        if (e instanceof ConflictError && e.code === 'HUSH_ERR_CHAIN_CONFLICT' && attempt < 2)
          continue;
        throw e;
      }
      const out = await this.ctx.chains.appendTeam(teamId, links);
      await after?.();
      await this.ctx.save();
      return out;
    }
  }

  #link(st: TS, body: TeamLinkBody, second?: Uint8Array) {
    return teamLink(
      this.ctx.b,
      st,
      this.ctx.id.principalId,
      this.ctx.id.device,
      body,
      second ? { second } : {},
    );
  }

  /** Creates a team with this principal as owner. */
  async create(name: string): Promise<TeamInfo> {
    const { b, id, api, chains } = this.ctx;
    if (!name) throw new UsageError('a team needs a name');
    await this.ctx.flushOutbox();
    const me = await chains.syncPrincipal(api, id.principalId);
    const devices = me.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk }));
    const { link, teamKey, keyBoxes } = await createTeam(b, {
      author: id.principalId,
      device: id.device,
      name,
      ...(id.name ? { ownerName: id.name } : {}),
      devices,
    });
    await api.request('POST', '/v1/teams', {
      links: [toBase64url(link.bytes)],
      keyBoxes: keyBoxes.map(toBase64url),
    });
    const st = await chains.appendTeam(link.hash, [link.bytes], true);
    await chains.storeKey(link.hash, 1, teamKey);
    await this.ctx.save();
    return this.#info(st);
  }

  /** Lists the teams this principal belongs to, each verified; names decrypted. */
  list(): Promise<TeamInfo[]> {
    return this.listIn(new Set<string>());
  }

  /**
   * `list` within a sync session: each team is synced once per session, so a caller that
   * goes on to sync the same teams (messages.sync) does not fetch their chains again.
   */
  async listIn(session: Set<string>): Promise<TeamInfo[]> {
    await this.ctx.flushOutbox();
    const r = await this.ctx.api.request<{ teams: { id: string }[] }>('GET', '/v1/teams');
    const listed = new Set(r.teams.map((t) => t.id));
    const out: TeamInfo[] = [];
    for (const t of r.teams) {
      const tid = fromBase64url(t.id);
      const st = await syncTeamFull(this.ctx, tid, session);
      if (st.roleOf(this.ctx.id.principalId) === undefined) continue; // relay claims a team we are not in
      out.push(await this.#info(st));
    }
    for (const [tid, rec] of Object.entries(this.ctx.data.teams))
      if (
        !listed.has(tid) &&
        !rec.gone &&
        this.ctx.chains.teams.get(tid)?.roleOf(this.ctx.id.principalId) !== undefined
      )
        rec.gone = true;
    await this.ctx.save();
    return out;
  }

  /** Members, roles, devices, generation, head and audit of one team. */
  async show(team: string): Promise<TeamDetail> {
    const teamId = await findTeam(this.ctx, team);
    await this.ctx.flushOutbox();
    const st = await syncTeamFull(this.ctx, teamId);
    const memberList: MemberInfo[] = [];
    for (const m of st.members.values()) {
      const p = this.ctx.chains.resolve(m.principal);
      memberList.push({
        principalId: toBase64url(m.principal),
        name: await memberName(this.ctx, st, m.principal),
        role: roleName(m.role),
        kind: p?.kind === 2 ? 'agent' : 'human',
        devices: [...(p?.devices.values() ?? [])].map((d) => ({
          id: toBase64url(d.id),
          kind: d.kind,
          revoked: d.revokedAt !== undefined,
        })),
      });
    }
    return {
      ...(await this.#info(st)),
      head: toBase64url(st.head),
      rotationPending: st.rotationPending,
      audit: auditTeam(
        st,
        this.ctx.chains.resolve,
        Date.now(),
        await confirmedHolders(this.ctx, st),
      ),
      memberList,
      openInvites: st.openInvites(Date.now()).length,
    };
  }

  /** Makes an invite: appends the invite link and a key box sealed to the invite key; returns the token. */
  async invite(team: string, opts: InviteOptions = {}): Promise<string> {
    const { b } = this.ctx;
    const teamId = await findTeam(this.ctx, team);
    const role = parseRole(opts.role, ROLE.writer);
    const token = newInviteToken(b, 'team', teamId);
    const keys = await inviteKeys(b, token);
    await this.ensureWritable(await syncTeamFull(this.ctx, teamId));
    await this.#append(teamId, async (st) => {
      const gen = st.current.generation;
      const link = await this.#link(st, {
        type: 'invite',
        inviteSigPk: keys.sigPk,
        inviteKemPk: keys.kemPk,
        role,
        expires: Date.now() + (opts.expiresInMs ?? 7 * DAY),
      });
      const key = await this.ctx.chains.keyFor(teamId, gen);
      const box = await sealKeyBox(b, teamId, gen, key, keys.inviteId, keys.kemPk);
      return { links: [link.bytes], keyBoxes: [box] };
    });
    return formatInviteToken(token);
  }

  /**
   * Refuses to write (step 4) while a rotation is pending or the audit finds a stale key
   * holder; rotates first when this member may.
   */
  async ensureWritable(st: TS): Promise<void> {
    const a = auditTeam(st, this.ctx.chains.resolve);
    if (a.ok) return;
    const role = st.roleOf(this.ctx.id.principalId);
    if (role !== undefined && canRotate(role)) {
      await this.#rotate(st.id);
      return;
    }
    throw new VerificationError(
      'rotation-pending',
      `the team key must be rotated before anyone writes: ${a.rotationPending ? 'a member left' : a.problems.join('; ')}`,
    );
  }

  async #rotate(teamId: Uint8Array): Promise<TS> {
    return this.#append(teamId, async (st) => {
      const cur = await this.ctx.chains.keyFor(teamId, st.current.generation);
      const rot = await rotation(this.ctx.b, st, cur, await this.#recipients(st));
      const link = await this.#link(st, rot.body);
      const nk: { gen: number; key: TeamKey } = {
        gen: st.current.generation + 1,
        key: rot.teamKey,
      };
      return {
        links: [link.bytes],
        keyBoxes: rot.keyBoxes,
        after: () => this.ctx.chains.storeKey(teamId, nk.gen, nk.key),
      };
    });
  }

  /** Rotates the team key to a new generation boxed to every current device and open invite. */
  async rotate(team: string): Promise<TeamInfo> {
    return this.#info(await this.#rotate(await findTeam(this.ctx, team)));
  }

  /** Adds a principal this member already knows (by id), boxing the current key to its devices. */
  async add(
    team: string,
    principalId: string,
    role: RoleName = 'writer',
    opts: { readonly name?: string } = {},
  ): Promise<TeamInfo> {
    const teamId = await findTeam(this.ctx, team);
    const r = parseRole(role, ROLE.writer);
    const member = await findPrincipal(this.ctx, principalId);
    await this.ensureWritable(await syncTeamFull(this.ctx, teamId));
    const st = await this.#append(teamId, async (st) => {
      const p = await this.ctx.chains.syncPrincipal(this.ctx.api, member);
      const link = await this.#link(st, {
        type: 'add-member',
        member,
        role: r,
        pin: pinOf(p),
        nameCt: opts.name
          ? await sealTeamField(
              this.ctx.b,
              await this.ctx.chains.keyFor(teamId, st.current.generation),
              st.current.generation,
              'member-name',
              member,
              utf8(opts.name),
            )
          : new Uint8Array(0),
      });
      const gen = st.current.generation;
      const key = await this.ctx.chains.keyFor(teamId, gen);
      const boxes = await Promise.all(
        p.activeDevices().map((d) => sealKeyBox(this.ctx.b, teamId, gen, key, d.id, d.kemPk)),
      );
      return { links: [link.bytes], keyBoxes: boxes };
    });
    return this.#info(st);
  }

  /** Removes a member and rotates the key in the same append (removing oneself is `leave`). */
  async remove(team: string, member: string): Promise<TeamInfo> {
    const teamId = await findTeam(this.ctx, team);
    // Sync first: the member may have joined since this device last looked.
    const cur = await this.ctx.chains.syncTeam(this.ctx.api, teamId, new Set<string>());
    const target = await findPrincipal(this.ctx, member, cur);
    if (equalBytes(target, this.ctx.id.principalId)) return this.leave(team);
    const st = await this.#append(teamId, async (st) => {
      if (st.roleOf(target) === undefined)
        throw new NotFoundError('that principal is not a member of the team');
      const removal = await this.#link(st, { type: 'remove-member', member: target });
      const scratch = await TeamState.verify(
        this.ctx.b,
        (this.ctx.data.teams[toBase64url(teamId)]?.links ?? []).map(fromBase64url),
        this.ctx.chains.resolve,
        teamId,
      );
      await scratch.apply(this.ctx.b, removal.bytes, this.ctx.chains.resolve);
      const curKey = await this.ctx.chains.keyFor(teamId, st.current.generation);
      const rot = await rotation(this.ctx.b, scratch, curKey, await this.#recipients(scratch));
      const rotLink = await this.#link(scratch, rot.body);
      const nk: { gen: number; key: TeamKey } = {
        gen: st.current.generation + 1,
        key: rot.teamKey,
      };
      return {
        links: [removal.bytes, rotLink.bytes],
        keyBoxes: rot.keyBoxes,
        after: () => this.ctx.chains.storeKey(teamId, nk.gen, nk.key),
      };
    });
    return this.#info(st);
  }

  /** Changes a member's role. */
  async setRole(team: string, member: string, role: RoleName): Promise<TeamInfo> {
    const teamId = await findTeam(this.ctx, team);
    const target = await findPrincipal(
      this.ctx,
      member,
      await this.ctx.chains.syncTeam(this.ctx.api, teamId, new Set<string>()),
    );
    const r = parseRole(role, ROLE.writer);
    const st = await this.#append(teamId, async (st) => ({
      links: [(await this.#link(st, { type: 'set-role', member: target, role: r })).bytes],
      keyBoxes: [],
    }));
    return this.#info(st);
  }

  /** Leaves a team (the others must rotate before writing again). */
  async leave(team: string): Promise<TeamInfo> {
    const teamId = await findTeam(this.ctx, team);
    const st = await this.#append(teamId, async (st) => ({
      links: [
        (await this.#link(st, { type: 'remove-member', member: this.ctx.id.principalId })).bytes,
      ],
      keyBoxes: [],
    }));
    const rec = this.ctx.data.teams[toBase64url(teamId)];
    if (rec) rec.gone = true;
    await this.ctx.save();
    return this.#info(st);
  }

  /**
   * Joins a team with an invite token: reads the chain with the invite-key proof, verifies
   * it against the token's team id, finds the invite whose keys the token derives, opens the
   * key box sealed to it, and appends the acceptance with boxes for this principal's devices.
   */
  async join(tokenText: string): Promise<TeamInfo> {
    const { b, api, chains, id } = this.ctx;
    let token;
    try {
      token = parseInviteToken(tokenText);
    } catch (e) {
      throw new UsageError(`not a valid invite token: ${(e as Error).message}`);
    }
    if (token.kind !== 'team')
      throw new UsageError('this token links a device, not a team: use device join');
    const teamId = token.chainId;
    const keys = await inviteKeys(b, token);
    await this.ctx.flushOutbox();
    const nonce = b.randomBytes(32);
    const signature = await b.ed25519Sign(
      keys.sigSeed,
      invitePreviewMessage(nonce, teamId, keys.inviteId, api.host),
    );
    const preview = await api.request<{
      links: string[];
      keyBoxes: { generation: number; box: string }[];
    }>('POST', `/v1/teams/${toBase64url(teamId)}/invite-preview`, {
      inviteId: toBase64url(keys.inviteId),
      nonce: toBase64url(nonce),
      signature: toBase64url(signature),
    });
    let links: Uint8Array[];
    try {
      links = preview.links.map(fromBase64url);
    } catch (e) {
      throw new VerificationError('encoding', 'the relay sent a malformed team chain', {
        cause: e,
      });
    }
    const session = new Set<string>();
    const st = await chains.syncTeam(api, teamId, session, links);
    const inv = st.invite(keys.inviteId);
    if (!inv || !equalBytes(inv.sigPk, keys.sigPk) || !equalBytes(inv.kemPk, keys.kemPk))
      throw new VerificationError(
        'unknown-invite',
        'the verified team chain holds no invite for this token',
      );
    if (inv.used) throw new ConflictError('this invite was already used');
    if (inv.expires < Date.now()) throw new ConflictError('this invite has expired');
    const gen = st.current.generation;
    const box = preview.keyBoxes.find((k) => k.generation === gen);
    if (!box)
      throw new ConflictError('the team key moved on without this invite: ask for a new invite');
    let key;
    try {
      key = await openKeyBox(
        b,
        fromBase64url(box.box),
        { teamId, generation: gen, recipientId: keys.inviteId, commitment: st.current.keyCommit },
        keys.kemSk,
      );
    } catch (e) {
      throw verificationFailure(e, 'the key box sealed to the invite does not verify');
    }
    await chains.storeKey(teamId, gen, key);
    const me = await chains.syncPrincipal(api, id.principalId, session);
    const nameCt = id.name
      ? await sealTeamField(b, key, gen, 'member-name', id.principalId, utf8(id.name))
      : new Uint8Array(0);
    const link = await this.#link(
      st,
      { type: 'accept-invite', inviteId: keys.inviteId, pin: pinOf(me), nameCt },
      keys.sigSeed,
    );
    const boxes = await Promise.all(
      me.activeDevices().map((d) => sealKeyBox(b, teamId, gen, key, d.id, d.kemPk)),
    );
    await api.request('POST', `/v1/teams/${toBase64url(teamId)}/links`, {
      links: [toBase64url(link.bytes)],
      keyBoxes: boxes.map(toBase64url),
    });
    const out = await chains.appendTeam(teamId, [link.bytes]);
    await this.ctx.save();
    return this.#info(out);
  }
}
