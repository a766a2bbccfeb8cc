/**
 * The SDK entry point: `Hush.init` creates a device and principal and registers it;
 * `Hush.open` loads an identity and its verified state. Namespaces `teams`, `messages`,
 * `snippets`, `secrets`, `kv`, `files`, `outbox` and `watch()` do the rest.
 */
import {
  deriveRecoveryDevice,
  fromBase64url,
  generateDevice,
  principalGenesis,
  toBase64url,
  utf8,
  type CryptoBackend,
  type DeviceSecretKeys,
} from '@hush/core';
import { nodeBackend } from '@hush/core/node';
import { Api, checkServerUrl, type ApiOptions } from './api.js';
import { Chains } from './chains.js';
import { findPrincipal, findTeam, memberName, parseId, syncTeamFull, type Ctx } from './context.js';
import { LocalStateError, NotFoundError, UsageError } from './errors.js';
import { readJson, writeJsonAtomic, ensureDir } from './node/atomic.js';
import { safetyNumber } from './node/fingerprint.js';
import { loadIdentity, saveIdentity, type Identity } from './node/keystore.js';
import { flush, pending, type OutboxEntry } from './node/outbox.js';
import { homePaths, type HomePaths } from './node/paths.js';
import { Kv } from './kv.js';
import { Messages, type Message } from './messages.js';
import { Secrets } from './secrets.js';
import { Snippets } from './snippets.js';
import { Files } from './files.js';
import { acceptDeviceInvite, Devices } from './devices.js';
import {
  addDeviceByRecovery,
  adoptRecoveryKeys,
  decodeRecoveryWords,
  Recovery,
} from './recovery.js';
import { emptyState, parseState, SecretBox, type StateData } from './state.js';
import { Teams } from './teams.js';
import { watchEvents, type HushEvent, type WatchOptions } from './watch.js';

/** Options of `Hush.init`. */
export interface InitOptions extends ApiOptions {
  /** The home directory (default: HUSH_HOME, XDG, ~/.config/hush). */
  readonly home?: string;
  /** The relay URL. */
  readonly server: string;
  /** Display name, sealed into teams this principal joins. */
  readonly name: string;
  /** Create an agent principal, optionally naming its sponsor's principal id. */
  readonly agent?: { readonly sponsor?: string };
  /** Wrap the device keys with this passphrase (scrypt). */
  readonly passphrase?: string;
  /** Operator token for a relay whose registration is invite-only. */
  readonly operatorToken?: string;
}

/** Options of `Hush.open`. */
export interface OpenOptions extends ApiOptions {
  readonly home?: string;
  /** Use another relay URL than the remembered one (the session starts afresh). */
  readonly server?: string;
  /** The passphrase of a wrapped identity. */
  readonly passphrase?: string;
  /**
   * Never write the home: state.json is not saved, the outbox is not flushed, and the stored
   * refresh token is not spent (the saved access token is used while in date, else a
   * challenge sign-in starts a session of its own), so `hush secrets run` writes nothing to
   * disk. What it syncs is verified as always, then forgotten.
   */
  readonly readOnly?: boolean;
}

/** Options of `Hush.joinDevice` (a device token from `devices.link`). */
export interface JoinDeviceOptions extends ApiOptions {
  readonly home?: string;
  readonly server: string;
  readonly token: string;
  /** Display name on this device (default: found in a team this principal belongs to). */
  readonly name?: string;
  readonly passphrase?: string;
}

/** Options of `Hush.restore` (recovery words from `recovery.create`). */
export interface RestoreOptions extends ApiOptions {
  readonly home?: string;
  readonly server: string;
  readonly words: string;
  /** The principal id; when absent it is found through the recovery device's teams. */
  readonly principalId?: string;
  readonly name?: string;
  readonly passphrase?: string;
}

/** What `whoami` reports. */
export interface WhoAmI {
  readonly principalId: string;
  readonly deviceId: string;
  readonly kind: 'human' | 'agent';
  readonly name: string;
  readonly server: string;
  readonly home: string;
  readonly fingerprint: string;
}

/** What `outbox.flush` reports. */
export interface FlushResult {
  readonly delivered: readonly { objectId: string; seq: number }[];
  readonly failed: readonly { objectId: string; error: string }[];
  readonly remaining: number;
}

/** An identity on one device, connected to its relay. */
export class Hush {
  /** Team operations. */
  readonly teams: Teams;
  /** Messages to teams and members. */
  readonly messages: Messages;
  /** Code snippets and patches to teams and members. */
  readonly snippets: Snippets;
  /** Secrets: named values per team and environment (.env push, pull, diff). */
  readonly secrets: Secrets;
  /** Encrypted key-value data (JSON values). */
  readonly kv: Kv;
  /** Encrypted files of any size, to teams and members. */
  readonly files: Files;
  /** This principal's devices: link, list, revoke. */
  readonly devices: Devices;
  /** Recovery words for this principal. */
  readonly recovery: Recovery;
  /** The offline outbox. */
  readonly outbox: {
    readonly list: () => Promise<OutboxEntry[]>;
    readonly flush: () => Promise<FlushResult>;
  };
  readonly #ctx: Ctx;

  private constructor(ctx: Ctx) {
    this.#ctx = ctx;
    this.teams = new Teams(ctx);
    this.messages = new Messages(ctx, this.teams);
    this.snippets = new Snippets(ctx, this.teams, this.messages);
    this.secrets = new Secrets(ctx, this.teams, this.messages);
    this.kv = new Kv(ctx, this.teams, this.messages);
    this.files = new Files(ctx, this.teams, this.messages);
    this.devices = new Devices(ctx, this.teams);
    this.recovery = new Recovery(ctx, this.teams);
    this.outbox = {
      list: () => pending(ctx.paths.outbox),
      flush: () => this.#flush(),
    };
  }

  async #flush(): Promise<FlushResult> {
    const r = await flush(this.#ctx.paths.outbox, this.#ctx.api);
    for (const f of r.failed) this.#ctx.warnings.push(`outbox: ${f.objectId} refused: ${f.error}`);
    return r;
  }

  /** Non-fatal findings (a member's malformed body, a refused queued envelope). Cleared by reading. */
  takeWarnings(): string[] {
    return this.#ctx.warnings.splice(0);
  }

  static async #connect(
    b: CryptoBackend,
    paths: HomePaths,
    id: Identity,
    data: StateData,
    opts: ApiOptions & { readOnly?: boolean },
  ): Promise<Hush> {
    const secrets = new SecretBox(b, id.stateKey);
    const readOnly = opts.readOnly === true;
    let saving: Promise<void> = Promise.resolve();
    const ctx: Ctx = {
      b,
      id,
      data,
      paths,
      chains: new Chains(b, data, secrets),
      warnings: [],
      api: new Api(
        data.server,
        b,
        id.device,
        async (t, access) => {
          data.refreshToken = await secrets.seal(new TextEncoder().encode(t));
          const until = access.expiresAt - 60_000;
          if (until > Date.now())
            data.accessToken = { token: await secrets.seal(utf8(access.token)), until };
          else delete data.accessToken;
          await ctx.save();
        },
        opts,
      ),
      save: () =>
        readOnly
          ? Promise.resolve()
          : (saving = saving.catch(() => undefined).then(() => writeJsonAtomic(paths.state, data))),
      flushOutbox: async () => {
        if (readOnly) return;
        const r = await flush(paths.outbox, ctx.api);
        for (const f of r.failed) ctx.warnings.push(`outbox: ${f.objectId} refused: ${f.error}`);
      },
    };
    if (data.refreshToken && !readOnly) {
      try {
        ctx.api.refreshToken = new TextDecoder().decode(await secrets.open(data.refreshToken));
      } catch {
        delete data.refreshToken;
      }
    }
    // A saved access token still in date saves a sign-in; the relay refusing it (revoked,
    // restored database) just leads to one.
    if (data.accessToken && data.accessToken.until > Date.now()) {
      try {
        ctx.api.accessToken = new TextDecoder().decode(await secrets.open(data.accessToken.token));
      } catch {
        delete data.accessToken;
      }
    }
    await ctx.chains.load();
    return new Hush(ctx);
  }

  /**
   * Creates this device's keys and principal, registers it with the relay, signs in and
   * saves identity.json and state.json.
   * @example
   * const hush = await Hush.init({ home: '/tmp/alice', server: 'http://127.0.0.1:7474', name: 'alice' });
   */
  static async init(opts: InitOptions): Promise<Hush> {
    const b = nodeBackend;
    const paths = homePaths(opts.home);
    checkServerUrl(opts.server, opts.insecureTransport);
    if ((await readJson(paths.identity)) !== undefined)
      throw new LocalStateError(`${paths.home} already holds a hush identity`);
    if (!opts.name) throw new UsageError('a name is required');
    let sponsor: Uint8Array | undefined;
    if (opts.agent?.sponsor) {
      sponsor = parseId(opts.agent.sponsor);
      if (!sponsor) throw new UsageError('the sponsor must be a principal id');
    }
    const device = await generateDevice(b);
    const genesis = await principalGenesis(b, device, {
      ...(opts.agent ? { agent: true } : {}),
      ...(sponsor ? { sponsor } : {}),
    });
    const server = opts.server.replace(/\/+$/, '');
    const data = emptyState(server);
    const noSession = new Api(server, b, device, async () => undefined, opts);
    await noSession.request(
      'POST',
      '/v1/principals',
      { links: [toBase64url(genesis.bytes)] },
      {
        auth: false,
        ...(opts.operatorToken ? { headers: { 'x-hush-operator-token': opts.operatorToken } } : {}),
      },
    );
    await ensureDir(paths.home);
    const id = await saveIdentity(
      paths.identity,
      { principalId: genesis.hash, device, kind: opts.agent ? 'agent' : 'human', name: opts.name },
      opts.passphrase,
    );
    const hush = await Hush.#connect(b, paths, id, data, opts);
    await hush.#ctx.chains.addPrincipal([genesis.bytes]);
    await hush.#ctx.api.signIn();
    await hush.#ctx.save();
    return hush;
  }

  /** Saves the identity of a device already in `principalId`'s chain, then connects and signs in. */
  static async #enroll(
    paths: HomePaths,
    server: string,
    principalId: Uint8Array,
    device: DeviceSecretKeys,
    kind: 'human' | 'agent',
    opts: ApiOptions & { name?: string; passphrase?: string },
  ): Promise<Hush> {
    await ensureDir(paths.home);
    const id = await saveIdentity(
      paths.identity,
      { principalId, device, kind, name: opts.name ?? '' },
      opts.passphrase,
    );
    const hush = await Hush.#connect(nodeBackend, paths, id, emptyState(server), opts);
    await hush.#ctx.chains.syncPrincipal(hush.#ctx.api, principalId);
    await hush.#ctx.api.signIn();
    await hush.#ctx.save();
    return hush;
  }

  /** Without a name given, takes the one a verified team gives this principal (clear identities only). */
  async #adoptName(opts: ApiOptions & { name?: string; passphrase?: string }): Promise<Hush> {
    const ctx = this.#ctx;
    if (opts.name !== undefined || opts.passphrase !== undefined) return this;
    for (const st of ctx.chains.teams.values()) {
      const name = await memberName(ctx, st, ctx.id.principalId);
      if (!name) continue;
      const id = await saveIdentity(ctx.paths.identity, { ...ctx.id, name });
      return Hush.#connect(ctx.b, ctx.paths, id, ctx.data, opts);
    }
    return this;
  }

  static async #fresh(home: string | undefined, server: string, insecure?: boolean) {
    const paths = homePaths(home);
    checkServerUrl(server, insecure);
    if ((await readJson(paths.identity)) !== undefined)
      throw new LocalStateError(`${paths.home} already holds a hush identity`);
    return { paths, server: server.replace(/\/+$/, '') };
  }

  /**
   * The new machine's side of device linking: creates this device's keys, accepts the device
   * token (checked against the principal chain it names), signs in and saves the identity.
   * Team keys arrive when the linking device's `waitForJoin` rotates the teams.
   * @example
   * const hush = await Hush.joinDevice({ home: '/tmp/laptop', server, token });
   */
  static async joinDevice(opts: JoinDeviceOptions): Promise<Hush> {
    const b = nodeBackend;
    const { paths, server } = await Hush.#fresh(opts.home, opts.server, opts.insecureTransport);
    const device = await generateDevice(b);
    const noSession = new Api(server, b, device, async () => undefined, opts);
    const { principalId, kind } = await acceptDeviceInvite(b, noSession, opts.token, device);
    const hush = await Hush.#enroll(paths, server, principalId, device, kind, opts);
    await hush.teams.list();
    return hush.#adoptName(opts);
  }

  /**
   * Restores access on a new machine from recovery words: the recovery device they derive
   * adds this new device to the principal chain, and its key boxes give this device every
   * team key it held (so history reads at once).
   * @example
   * const hush = await Hush.restore({ home: '/tmp/new', server, words });
   */
  static async restore(opts: RestoreOptions): Promise<Hush> {
    const b = nodeBackend;
    const { paths, server } = await Hush.#fresh(opts.home, opts.server, opts.insecureTransport);
    const secret = await decodeRecoveryWords(b, opts.words);
    let principal: Uint8Array | undefined;
    if (opts.principalId !== undefined) {
      principal = parseId(opts.principalId);
      if (!principal) throw new UsageError('the principal id is not a valid id');
    }
    const recovery = await deriveRecoveryDevice(b, secret);
    const device = await generateDevice(b);
    const recApi = new Api(server, b, recovery, async () => undefined, opts);
    const principalId = await addDeviceByRecovery(b, recApi, recovery, device, principal);
    const hush = await Hush.#enroll(paths, server, principalId, device, 'human', opts);
    await adoptRecoveryKeys(hush.#ctx, hush.teams, recApi, recovery);
    return hush.#adoptName(opts);
  }

  /**
   * Loads the identity and verified state of a home (re-verifying every stored chain).
   * @example
   * const hush = await Hush.open({ home: '/tmp/alice' });
   * for (const m of await hush.messages.inbox({ unread: true })) console.log(m.from.name, m.text);
   */
  static async open(opts: OpenOptions = {}): Promise<Hush> {
    const b = nodeBackend;
    const paths = homePaths(opts.home);
    const id = await loadIdentity(paths.identity, opts.passphrase);
    const raw = await readJson(paths.state);
    if (raw === undefined && !opts.server)
      throw new LocalStateError(`${paths.state} is missing: give the server URL`);
    const data = raw === undefined ? emptyState(opts.server as string) : parseState(raw);
    if (opts.server && opts.server.replace(/\/+$/, '') !== data.server) {
      data.server = opts.server.replace(/\/+$/, '');
      delete data.refreshToken;
      delete data.accessToken;
      delete data.eventCursor;
    }
    const hush = await Hush.#connect(b, paths, id, data, opts);
    if (!hush.#ctx.data.principals[toBase64url(id.principalId)])
      await hush.#ctx.chains.syncPrincipal(hush.#ctx.api, id.principalId);
    return hush;
  }

  /** Who this device is. */
  whoami(): WhoAmI {
    const { id, data, paths } = this.#ctx;
    return {
      principalId: toBase64url(id.principalId),
      deviceId: toBase64url(id.device.id),
      kind: id.kind,
      name: id.name,
      server: data.server,
      home: paths.home,
      fingerprint: this.fingerprint(),
    };
  }

  /**
   * A safety number to compare out of band: this principal's own (6 groups of 5 digits), or,
   * given another principal (id, or a member's display name from a verified team), the pair's
   * (12 groups, the same on both sides). See node/fingerprint.ts for the derivation.
   */
  fingerprint(principalId?: string): string {
    const me = this.#ctx.id.principalId;
    if (principalId === undefined) return safetyNumber(me);
    const other = parseId(principalId.replace(/^@/, ''));
    if (!other)
      throw new UsageError('fingerprint takes a principal id (use fingerprintOf for a name)');
    return safetyNumber(me, other);
  }

  /** Like `fingerprint`, resolving a display name through the verified teams. */
  async fingerprintOf(member: string): Promise<string> {
    return safetyNumber(this.#ctx.id.principalId, await findPrincipal(this.#ctx, member));
  }

  /** Joins a team with an invite token (see `teams.join`). */
  join(token: string) {
    return this.teams.join(token);
  }

  /**
   * Live events (SSE with Last-Event-ID resume). New messages are verified before they are
   * yielded; stop with `opts.signal`.
   */
  watch(opts: WatchOptions = {}): AsyncIterable<HushEvent> {
    const ctx = this.#ctx;
    const seen = new Set<string>();
    let primed = false;
    let teamFilter: string | undefined;
    const onChange = async (team: string | undefined): Promise<Message[]> => {
      if (!primed) {
        primed = true;
        if (opts.team) teamFilter = toBase64url(await findTeam(ctx, opts.team));
        for (const m of await this.messages.inbox({ offline: true })) seen.add(m.id);
      }
      if (team !== undefined) {
        if (teamFilter && team !== teamFilter) return [];
        try {
          await syncTeamFull(ctx, fromBase64url(team));
          await this.messages.syncTeamObjects(fromBase64url(team));
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      } else if (!teamFilter) await this.messages.syncInbox();
      const fresh = (
        await this.messages.inbox({ offline: true, ...(teamFilter ? { team: teamFilter } : {}) })
      ).filter((m) => !seen.has(m.id));
      for (const m of fresh) seen.add(m.id);
      return fresh;
    };
    return {
      [Symbol.asyncIterator]: () => watchEvents(ctx, opts, onChange)[Symbol.asyncIterator](),
    };
  }
}
