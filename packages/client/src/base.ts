/**
 * What an SDK instance offers on every platform: the namespaces (`teams`, `messages`,
 * `snippets`, `kv`, `devices`, `recovery`, `outbox`), `whoami`, safety numbers and `watch()`.
 * The entry points subclass it with the ways in (`init`, `open`, ...) for their platform:
 * `Hush` in hush.ts (Node) and in browser/hush.ts (browsers).
 */
import { fromBase64url, toBase64url } from '@hush/core';
import { findPrincipal, findTeam, parseId, syncTeamFull, type Ctx } from './context.js';
import { Devices } from './devices.js';
import { NotFoundError, UsageError } from './errors.js';
import { joinHalves, safetyHalf, safetyHalfOf, safetyInput } from './fingerprint.js';
import { Kv } from './kv.js';
import { Messages } from './messages.js';
import { flush, pending, type OutboxEntry } from './outbox.js';
import { Recovery } from './recovery.js';
import { Snippets } from './snippets.js';
import { Teams } from './teams.js';
import { watchEvents, type HushEvent, type WatchOptions } from './watch.js';

type SnippetEvent = Extract<HushEvent, { type: 'snippet' }>;

/** What `whoami` reports. */
export interface WhoAmI {
  readonly principalId: string;
  readonly deviceId: string;
  readonly kind: 'human' | 'agent';
  readonly name: string;
  readonly server: string;
  /** The home directory on Node; the storage's name elsewhere. */
  readonly home: string;
  readonly fingerprint: string;
}

/** What `outbox.flush` reports. */
export interface FlushResult {
  readonly delivered: readonly { objectId: string; seq: number }[];
  readonly failed: readonly { objectId: string; error: string }[];
  readonly remaining: number;
}

/** An identity on one device, connected to its relay (the platform-independent part). */
export class HushBase {
  /** Team operations. */
  readonly teams: Teams;
  /** Messages to teams and members. */
  readonly messages: Messages;
  /** Code snippets and patches to teams and members. */
  readonly snippets: Snippets;
  /** Encrypted key-value data (JSON values) per team. */
  readonly kv: Kv;
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

  protected constructor(ctx: Ctx) {
    this.#ctx = ctx;
    this.teams = new Teams(ctx);
    this.messages = new Messages(ctx, this.teams);
    this.snippets = new Snippets(ctx, this.teams, this.messages);
    this.kv = new Kv(ctx, this.teams, this.messages);
    this.devices = new Devices(ctx, this.teams);
    this.recovery = new Recovery(ctx, this.teams);
    this.outbox = {
      list: () => pending(ctx.storage),
      flush: () => this.#flush(),
    };
  }

  async #flush(): Promise<FlushResult> {
    const r = await flush(this.#ctx.storage, this.#ctx.api);
    for (const f of r.failed) this.#ctx.warnings.push(`outbox: ${f.objectId} refused: ${f.error}`);
    return r;
  }

  /** Non-fatal findings (a member's malformed body, a refused queued envelope). Cleared by reading. */
  takeWarnings(): string[] {
    const all = this.#ctx.warnings.splice(0);
    return all.filter((w, i) => all.indexOf(w) === i);
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

  #half(id: Uint8Array): readonly string[] | undefined {
    const key = toBase64url(id);
    const known = this.#ctx.safetyHalves.get(key);
    if (known) return known;
    const sha = this.#ctx.platform.sha256Sync;
    if (!sha) return undefined;
    const h = safetyHalf(sha(safetyInput(id)));
    this.#ctx.safetyHalves.set(key, h);
    return h;
  }

  /**
   * A safety number to compare out of band: this principal's own (6 groups of 5 digits), or,
   * given another principal (id, or a member's display name from a verified team), the pair's
   * (12 groups, the same on both sides). See fingerprint.ts for the derivation. Where the
   * platform has no synchronous SHA-256 (browsers), a pair needs `fingerprintOf` first.
   */
  fingerprint(principalId?: string): string {
    const me = this.#ctx.id.principalId;
    const mine = this.#half(me) as readonly string[];
    if (principalId === undefined) return joinHalves(me, mine);
    const other = parseId(principalId.replace(/^@/, ''));
    if (!other)
      throw new UsageError('fingerprint takes a principal id (use fingerprintOf for a name)');
    const theirs = this.#half(other);
    if (!theirs)
      throw new UsageError('on this platform use await fingerprintOf(id) for another principal');
    return joinHalves(me, mine, other, theirs);
  }

  /** Like `fingerprint`, resolving a display name through the verified teams. */
  async fingerprintOf(member: string): Promise<string> {
    const other = await findPrincipal(this.#ctx, member);
    const key = toBase64url(other);
    if (!this.#ctx.safetyHalves.has(key))
      this.#ctx.safetyHalves.set(key, await safetyHalfOf(this.#ctx.b, other));
    return this.fingerprint(key);
  }

  /** Joins a team with an invite token (see `teams.join`). */
  join(token: string) {
    return this.teams.join(token);
  }

  /**
   * Live events (SSE with Last-Event-ID resume). New messages and snippets are verified
   * before they are yielded; stop with `opts.signal`.
   */
  watch(opts: WatchOptions = {}): AsyncIterable<HushEvent> {
    const ctx = this.#ctx;
    const seen = new Set<string>();
    let primed = false;
    let teamFilter: string | undefined;
    const fresh = async (): Promise<HushEvent[]> => {
      const only = { offline: true, ...(teamFilter ? { team: teamFilter } : {}) };
      const out: HushEvent[] = [];
      for (const message of await this.messages.inbox(only))
        if (!seen.has(message.id)) out.push({ type: 'message', message });
      for (const snippet of await this.snippets.list(only))
        if (!seen.has(snippet.id)) out.push({ type: 'snippet', snippet });
      const item = (e: HushEvent) =>
        e.type === 'message' ? e.message : (e as SnippetEvent).snippet;
      for (const e of out) seen.add(item(e).id);
      return out.sort((a, b) => item(a).createdAt - item(b).createdAt);
    };
    const onChange = async (team: string | undefined): Promise<HushEvent[]> => {
      if (!primed) {
        primed = true;
        if (opts.team) teamFilter = toBase64url(await findTeam(ctx, opts.team));
        await fresh(); // what was verified before the watch started is not news
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
      return fresh();
    };
    return {
      [Symbol.asyncIterator]: () => watchEvents(ctx, opts, onChange)[Symbol.asyncIterator](),
    };
  }
}
