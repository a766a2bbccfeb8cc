/**
 * Devices of this principal (PROTOCOL.md sections 3.2, 3.4, 5.5): link a new device by an
 * invite token, list, revoke. Team keys reach a new device, and leave a revoked one, through
 * a rotation of every team this principal belongs to: a rotation boxes the new generation
 * to exactly the active devices of current members (and open invites), and carries the
 * previous key so the new generation walks back to the whole history.
 *
 * Why a rotation and not a plain key box for the new device: the relay's
 * `POST /v1/teams/:id/links` requires at least one link, so boxes cannot be posted alone.
 */
import {
  ChainError,
  deviceId as deviceIdOf,
  formatInviteToken,
  fromBase64url,
  inviteKeys,
  newInviteToken,
  parseInviteToken,
  parseLink,
  principalCodec,
  principalLink,
  sealKeyBox,
  PrincipalState,
  toBase64url,
  toHex,
  type CryptoBackend,
  type DeviceSecretKeys,
  type PrincipalLinkBody,
} from '@hush/core';
import type { Api } from './api.js';
import { parseId, type Ctx } from './context.js';
import {
  ConflictError,
  NetworkError,
  NotFoundError,
  UsageError,
  VerificationError,
  verificationFailure,
} from './errors.js';
import type { Teams } from './teams.js';

/** A device of this principal, from its verified chain. */
export interface DeviceInfo {
  readonly id: string;
  readonly kind: 'device' | 'recovery';
  readonly addedAt: number;
  readonly revoked: boolean;
  readonly revokedAt?: number;
  /** This device. */
  readonly current: boolean;
}

/** What sharing or withdrawing team keys did: rotated teams, and teams this role cannot rotate. */
export interface RotationReport {
  readonly rotated: readonly string[];
  /** Team ids whose key this principal may not rotate (reader, agent): another member must. */
  readonly skipped: readonly string[];
}

/** Options of `devices.link`. */
export interface LinkOptions {
  /** Validity of the token in ms (default 15 minutes). */
  readonly expiresInMs?: number;
}

/** Options of `devices.waitForJoin`. */
export interface WaitOptions {
  /** Give up after this many ms (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Poll interval in ms (default 1 s). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

const MINUTE = 60_000;

function parseToken(text: string) {
  try {
    return parseInviteToken(text);
  } catch (e) {
    throw new UsageError(`not a valid device token: ${(e as Error).message}`);
  }
}

/**
 * Rotates every team this principal belongs to (where its role allows), so the key
 * holders become exactly the active devices of current members. With `addedDevice`
 * (a device was linked or a recovery key added, nobody was removed), a team whose role
 * cannot rotate gets the current key boxed to this principal's own devices instead; the
 * new device reaches older generations by walk-back.
 */
export async function rotateAllTeams(
  ctx: Ctx,
  teams: Teams,
  opts: { addedDevice?: boolean } = {},
): Promise<RotationReport> {
  const rotated: string[] = [];
  const skipped: string[] = [];
  for (const t of await teams.list()) {
    if (t.role === 'owner' || t.role === 'admin' || t.role === 'writer') {
      await teams.rotate(t.id);
      rotated.push(t.id);
    } else if (opts.addedDevice) {
      await boxToOwnDevices(ctx, fromBase64url(t.id));
      rotated.push(t.id);
    } else {
      skipped.push(t.id);
      ctx.warnings.push(
        `team ${t.name || t.id.slice(0, 10)}: your role (${t.role}) cannot rotate its key; ask a writer to run hush team rotate`,
      );
    }
  }
  return { rotated, skipped };
}

/** Boxes the team's current key to every active device of this principal (no link). */
async function boxToOwnDevices(ctx: Ctx, teamId: Uint8Array): Promise<void> {
  const st = await ctx.chains.syncTeam(ctx.api, teamId, new Set<string>());
  const gen = st.current.generation;
  const key = await ctx.chains.keyFor(teamId, gen);
  const me = await ctx.chains.syncPrincipal(ctx.api, ctx.id.principalId);
  const keyBoxes = await Promise.all(
    me.activeDevices().map((d) => sealKeyBox(ctx.b, teamId, gen, key, d.id, d.kemPk)),
  );
  await ctx.api.request('POST', `/v1/teams/${toBase64url(teamId)}/links`, {
    links: [],
    keyBoxes: keyBoxes.map(toBase64url),
  });
}

/** The devices namespace of the SDK (`hush.devices`). */
export class Devices {
  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
  ) {}

  /** Appends the link(s) `build` makes on the verified head; rebuilt after a chain conflict. */
  async #append(
    build: (me: PrincipalState) => Promise<Uint8Array | Uint8Array[]>,
  ): Promise<PrincipalState> {
    const { api, chains, id } = this.ctx;
    await this.ctx.flushOutbox();
    for (let attempt = 0; ; attempt++) {
      const me = await chains.syncPrincipal(api, id.principalId);
      const built = await build(me);
      const links = Array.isArray(built) ? built : [built];
      if (links.length === 0) return me;
      try {
        await api.request('POST', `/v1/principals/${toBase64url(id.principalId)}/links`, {
          links: links.map(toBase64url),
        });
      } catch (e) {
        if (e instanceof ConflictError && e.code === 'HUSH_ERR_CHAIN_CONFLICT' && attempt < 2)
          continue;
        throw e;
      }
      const st = await chains.syncPrincipal(api, id.principalId);
      await this.ctx.save();
      return st;
    }
  }

  /**
   * Makes a device token: appends a `device-invite` to this principal's chain. Give the
   * token to the new machine (`Hush.joinDevice`), then call `waitForJoin` here.
   * @example
   * const token = await hush.devices.link();
   * // on the new machine: await Hush.joinDevice({ home, server, token })
   * await hush.devices.waitForJoin(token);
   */
  async link(opts: LinkOptions = {}): Promise<string> {
    const { b, id } = this.ctx;
    if (id.kind === 'agent') throw new UsageError('an agent has exactly one device');
    const token = newInviteToken(b, 'device', id.principalId);
    const keys = await inviteKeys(b, token);
    await this.#append(
      async (me) =>
        (
          await principalLink(b, me, id.device, {
            type: 'device-invite',
            inviteSigPk: keys.sigPk,
            expires: Math.max(Date.now(), me.lastTime) + (opts.expiresInMs ?? 15 * MINUTE),
          })
        ).bytes,
    );
    return formatInviteToken(token);
  }

  /**
   * Waits until the device holding `token` has accepted it (polling this principal's
   * verified chain), then rotates every team so the new device holds the current key and,
   * by walk-back, every older one. Returns the new device id and what was rotated.
   */
  async waitForJoin(
    token: string,
    opts: WaitOptions = {},
  ): Promise<{ deviceId: string } & RotationReport> {
    const { b, api, chains, id, data } = this.ctx;
    const t = parseToken(token);
    if (t.kind !== 'device' || toBase64url(t.chainId) !== toBase64url(id.principalId))
      throw new UsageError('this token does not link a device to this principal');
    const keys = await inviteKeys(b, t);
    const want = toBase64url(keys.inviteId);
    const deadline = Date.now() + (opts.timeoutMs ?? 10 * MINUTE);
    for (;;) {
      try {
        await chains.syncPrincipal(api, id.principalId);
        await this.ctx.save();
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
      }
      const rec = data.principals[toBase64url(id.principalId)];
      for (const l of rec?.links ?? []) {
        const body: PrincipalLinkBody = (await parseLink(b, principalCodec, fromBase64url(l))).body;
        if (body.type === 'accept-device-invite' && toBase64url(body.inviteId) === want) {
          const dev = toBase64url(await deviceIdOf(b, body));
          return {
            deviceId: dev,
            ...(await rotateAllTeams(this.ctx, this.teams, { addedDevice: true })),
          };
        }
      }
      if (Date.now() >= deadline)
        throw new NetworkError(
          'no device accepted the token in time (it stays valid until it expires)',
        );
      if (opts.signal?.aborted) throw new UsageError('waiting for the new device was cancelled');
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  }

  /** This principal's devices, from its verified chain. */
  async list(): Promise<DeviceInfo[]> {
    const { api, chains, id } = this.ctx;
    let me: PrincipalState;
    try {
      me = await chains.syncPrincipal(api, id.principalId);
      await this.ctx.save();
    } catch (e) {
      const cached = chains.principals.get(toBase64url(id.principalId));
      if (!(e instanceof NetworkError) || !cached) throw e;
      me = cached;
    }
    const self = toBase64url(id.device.id);
    return [...me.devices.values()]
      .sort((x, y) => x.addedSeq - y.addedSeq)
      .map((d) => ({
        id: toBase64url(d.id),
        kind: d.kind,
        addedAt: d.addedAt,
        revoked: d.revokedAt !== undefined,
        ...(d.revokedAt !== undefined ? { revokedAt: d.revokedAt } : {}),
        current: toBase64url(d.id) === self,
      }));
  }

  /**
   * Revokes every other device of this principal (not the recovery key) in one append, then
   * rotates every team once, as `revoke` does for one: for a restore after the old devices
   * were lost. The recovery words stay valid (`recovery.create` replaces them).
   * @example
   * const hush = await Hush.restore({ home, server, words });
   * const { revoked } = await hush.devices.revokeOthers();
   */
  async revokeOthers(): Promise<{ revoked: readonly string[] } & RotationReport> {
    const { b, id } = this.ctx;
    const targets = (await this.list()).filter(
      (d) => !d.current && !d.revoked && d.kind === 'device',
    );
    if (targets.length === 0) return { revoked: [], rotated: [], skipped: [] };
    await this.#append(async (me) => {
      // Each link is built on the chain as the previous one leaves it.
      const scratch = await PrincipalState.verify(
        b,
        (this.ctx.data.principals[toBase64url(id.principalId)]?.links ?? []).map(fromBase64url),
        id.principalId,
      );
      const links: Uint8Array[] = [];
      for (const t of targets) {
        if (me.devices.get(toHex(fromBase64url(t.id)))?.revokedAt !== undefined) continue;
        const link = await principalLink(b, scratch, id.device, {
          type: 'revoke-device',
          deviceId: fromBase64url(t.id),
        });
        await scratch.apply(b, link.bytes);
        links.push(link.bytes);
      }
      return links;
    });
    return { revoked: targets.map((t) => t.id), ...(await rotateAllTeams(this.ctx, this.teams)) };
  }

  /**
   * Revokes a device (full id, or an unambiguous prefix of at least 6 characters), then
   * rotates every team in the same step so the revoked device reads nothing new. The relay
   * refuses the revoked device at once. This device cannot revoke itself (do it from another).
   */
  async revoke(device: string): Promise<{ deviceId: string } & RotationReport> {
    const { b, id } = this.ctx;
    const all = await this.list();
    const matches =
      parseId(device) !== undefined
        ? all.filter((d) => d.id === device)
        : device.length >= 6
          ? all.filter((d) => d.id.startsWith(device))
          : [];
    if (matches.length > 1) throw new UsageError(`several devices start with "${device}"`);
    const target = matches[0];
    if (!target) throw new NotFoundError(`no device "${device}" in this principal's chain`);
    if (target.current)
      throw new UsageError('this device cannot revoke itself: revoke it from another device');
    if (target.revoked) throw new ConflictError('that device is already revoked');
    await this.#append(
      async (me) =>
        (
          await principalLink(b, me, id.device, {
            type: 'revoke-device',
            deviceId: fromBase64url(target.id),
          })
        ).bytes,
    );
    return { deviceId: target.id, ...(await rotateAllTeams(this.ctx, this.teams)) };
  }
}

/**
 * The new machine's side of linking (PROTOCOL.md 3.4): verifies the principal chain against
 * the id in the token, builds `accept-device-invite` signed by the new device (slot 0) and
 * the invite key (slot 1), checks it applies locally, and posts it without a token.
 */
export async function acceptDeviceInvite(
  b: CryptoBackend,
  api: Api,
  tokenText: string,
  device: DeviceSecretKeys,
): Promise<{ principalId: Uint8Array; kind: 'human' | 'agent' }> {
  const token = parseToken(tokenText);
  if (token.kind !== 'device')
    throw new UsageError('this token invites to a team, not a device: use join');
  const keys = await inviteKeys(b, token);
  const r = await api.request<{ links: string[] }>(
    'GET',
    `/v1/principals/${toBase64url(token.chainId)}/links`,
    undefined,
    { auth: false, query: { since: 0 } },
  );
  let st: PrincipalState;
  try {
    st = await PrincipalState.verify(b, r.links.map(fromBase64url), token.chainId);
  } catch (e) {
    throw verificationFailure(e, 'the principal chain does not verify against the token');
  }
  const link = await principalLink(
    b,
    st,
    device,
    {
      type: 'accept-device-invite',
      inviteId: keys.inviteId,
      sigPk: device.sigPk,
      kemPk: device.kemPk,
    },
    { second: keys.sigSeed },
  );
  try {
    await st.apply(b, link.bytes);
  } catch (e) {
    if (e instanceof ChainError && e.reason === 'invite-used')
      throw new ConflictError('this device token was already used');
    if (e instanceof ChainError && e.reason === 'invite-expired')
      throw new ConflictError('this device token has expired: make a new one with device link');
    if (e instanceof ChainError && e.reason === 'unknown-invite')
      throw new VerificationError(
        'unknown-invite',
        'the verified principal chain holds no invite for this token',
      );
    throw verificationFailure(e, 'the acceptance does not verify');
  }
  await api.request(
    'POST',
    `/v1/principals/${toBase64url(token.chainId)}/links`,
    { links: [toBase64url(link.bytes)] },
    { auth: false },
  );
  return { principalId: token.chainId, kind: st.kind === 2 ? 'agent' : 'human' };
}
