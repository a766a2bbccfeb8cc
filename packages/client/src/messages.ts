/**
 * Messages (PROTOCOL.md section 10.2) to a team (team envelope) or to @member (direct
 * envelope). Reads sync and verify first (steps 1-5); every envelope is opened with core's
 * checks against the verified chains before it is cached, and opened again when shown
 * (every check but its signature, which was verified when it arrived: replay.ts).
 * Writes seal, queue in the outbox, then post.
 */
import {
  COLLECTION,
  decodeHeader,
  decodeMessageBody,
  encodeMessageBody,
  FLAG_TOMBSTONE,
  fromBase64url,
  openDirectEnvelope,
  openTeamEnvelope,
  sealDirectEnvelope,
  sealTeamEnvelope,
  splitEnvelope,
  toBase64url,
  type CryptoBackend,
  type EnvelopeHeader,
  type MessageBody,
} from '@hush/core';
import {
  findPrincipal,
  findTeam,
  memberName,
  syncTeamFull,
  syncTeamOrCached,
  teamName,
  type Ctx,
} from './context.js';
import {
  NetworkError,
  NotFoundError,
  UsageError,
  VerificationError,
  verificationFailure,
} from './errors.js';
import { deliver, dequeue, enqueue, type OutboxEntry } from './outbox.js';
import { replayBackend } from './replay.js';
import { syncReads } from './sync-reads.js';
import type { CachedDirect, CachedObject } from './state.js';
import type { Teams } from './teams.js';

/** What `messages.send` takes besides the target. */
export interface SendOptions {
  readonly text: string;
  readonly topic?: string;
  /** Default `notification`; a `response` needs `replyTo`. */
  readonly type?: MessageBody['type'];
  readonly priority?: MessageBody['priority'];
  /** Object id (base64url) of the message this one answers. */
  readonly replyTo?: string;
}

/** How `sealBody` seals: a given object id, a later version, header flags. */
export interface SealOptions {
  /** 16 bytes; random when omitted. */
  readonly objectId?: Uint8Array;
  /** Default 1. */
  readonly version?: number;
  /** Header flags, e.g. FLAG_TOMBSTONE. */
  readonly flags?: number;
}

/** A sent message: delivered (with its relay sequence number) or queued in the outbox. */
export interface MessageRef {
  readonly id: string;
  readonly team?: string;
  readonly to?: string;
  readonly queued: boolean;
  readonly seq?: number;
}

/** A verified, decoded message. */
export interface Message {
  readonly id: string;
  readonly team?: { readonly id: string; readonly name: string };
  readonly direct: boolean;
  readonly from: { readonly principalId: string; readonly name: string };
  /** Recipient principal ids of a direct message (the sender included). */
  readonly to?: readonly string[];
  readonly createdAt: number;
  readonly type: MessageBody['type'];
  readonly priority: MessageBody['priority'];
  readonly topic: string;
  readonly replyTo?: string;
  readonly text: string;
  readonly read: boolean;
  readonly acked: boolean;
}

/** Filters of `messages.inbox`. */
export interface InboxOptions {
  /** Only this team (id or name); direct messages are left out then. */
  readonly team?: string;
  /** Only messages not marked read (own messages count as read). */
  readonly unread?: boolean;
  /** Use only what is verified and cached locally (no relay round trip). */
  readonly offline?: boolean;
}

/** An envelope opened and verified: its header and its body bytes (not yet decoded). */
export interface Opened {
  header: EnvelopeHeader;
  body: Uint8Array;
}

/** A cached envelope and how to open and verify it again (see `Messages.cached`). */
export interface CachedEnvelope {
  /** Stable per device: `TEAM:SEQ` or `inbox:SEQ`. */
  readonly key: string;
  /** The team of a team envelope; absent for a direct one. */
  readonly team?: { readonly id: string; readonly name: string };
  /** Whether a direct envelope was acknowledged on the relay. */
  readonly acked?: boolean;
  readonly open: () => Promise<Opened>;
}

/** The message namespace of the SDK (`hush.messages`). */
export class Messages {
  readonly #decoded = new Map<string, Message | null>();
  /** Cached envelopes were verified when they arrived: see replay.ts. */
  readonly #replay: CryptoBackend;

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
  ) {
    this.#replay = replayBackend(ctx.b);
  }

  /** Sends a message to a team (id or name) or to `@member` (id or display name). */
  async send(target: string, opts: SendOptions): Promise<MessageRef> {
    checkText(opts.text);
    const body = encodeMessageBody({
      type: opts.type ?? 'notification',
      priority: opts.priority ?? 'normal',
      topic: opts.topic ?? '',
      ...(opts.replyTo ? { replyTo: fromBase64url(opts.replyTo) } : {}),
      text: opts.text,
    });
    return this.sendBody(target, COLLECTION.message, body);
  }

  /**
   * Seals an encoded body of `collection` for a team or `@member`, queues it in the outbox
   * and posts it (shared by messages and snippets).
   */
  async sendBody(
    target: string,
    collection: EnvelopeHeader['collection'],
    body: Uint8Array,
  ): Promise<MessageRef> {
    return this.post(await this.sealBody(target, collection, body), target);
  }

  /**
   * Seals an encoded body for a team or `@member` (after syncing the team or the principals
   * it is wrapped to), without sending it: `post` does. `opts` fixes the object id, writes a
   * later version, or sets header flags (a tombstone), as file manifests need.
   */
  async sealBody(
    target: string,
    collection: EnvelopeHeader['collection'],
    body: Uint8Array,
    opts: SealOptions = {},
  ): Promise<OutboxEntry> {
    const { ctx } = this;
    await ctx.flushOutbox();
    const version = opts.version ?? 1;
    const common = {
      author: ctx.id.principalId,
      device: ctx.id.device,
      collection,
      body,
      ...(opts.objectId ? { objectId: opts.objectId } : {}),
      objectVersion: version,
      ...(opts.flags !== undefined ? { flags: opts.flags } : {}),
    };
    const entry = (
      sealed: { envelope: Uint8Array; header: EnvelopeHeader },
      team?: Uint8Array,
    ): OutboxEntry => ({
      kind: team ? 'team' : 'direct',
      ...(team ? { team: toBase64url(team) } : {}),
      objectId: toBase64url(sealed.header.objectId),
      version,
      envelope: toBase64url(sealed.envelope),
      queuedAt: Date.now(),
    });
    if (target.startsWith('@')) {
      const to = await findPrincipal(ctx, target);
      const devices = [];
      for (const p of [to, ctx.id.principalId]) {
        let st;
        try {
          st = await ctx.chains.syncPrincipal(ctx.api, p);
        } catch (e) {
          st = ctx.chains.resolve(p);
          if (!(e instanceof NetworkError) || !st) throw e;
        }
        devices.push(...st.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })));
      }
      return entry(await sealDirectEnvelope(ctx.b, { recipients: [to], devices, ...common }));
    }
    const teamId = await findTeam(ctx, target);
    const st = await syncTeamOrCached(ctx, teamId);
    if (st.roleOf(ctx.id.principalId) === undefined)
      throw new NotFoundError('you are not a member of that team');
    await this.teams.ensureWritable(st);
    const cur = ctx.chains.teams.get(toBase64url(teamId)) ?? st;
    const generation = cur.current.generation;
    const sealed = await sealTeamEnvelope(ctx.b, {
      teamId,
      generation,
      chainSeq: cur.seq,
      key: await ctx.chains.keyFor(teamId, generation),
      ...common,
    });
    return entry(sealed, teamId);
  }

  /**
   * Queues a sealed entry in the outbox and posts it; a network failure leaves it queued
   * (delivered exactly once by a later call). Posting the same entry again is idempotent.
   * `target` is what the caller named, reported back as `to` for a direct envelope.
   */
  async post(entry: OutboxEntry, target: string): Promise<MessageRef> {
    const { ctx } = this;
    await enqueue(ctx.storage, entry);
    if (!ctx.data.read.includes(entry.objectId)) ctx.data.read.push(entry.objectId);
    await ctx.save();
    const ref = { id: entry.objectId, ...(entry.team ? { team: entry.team } : { to: target }) };
    try {
      const d = await deliver(ctx.api, entry);
      await dequeue(ctx.storage, entry.objectId);
      return { ...ref, queued: false, seq: d.seq };
    } catch (e) {
      if (e instanceof NetworkError) return { ...ref, queued: true };
      throw e;
    }
  }

  /** Opens and verifies a cached team object of any collection (kv entries and secrets too). */
  openObject(teamId: Uint8Array, o: CachedObject): Promise<Opened> {
    return this.#openTeam(teamId, o, this.#replay);
  }

  /** Opens a team envelope: with `b` for one from the relay, the replay backend for a cached one. */
  async #openTeam(teamId: Uint8Array, o: CachedObject, b: CryptoBackend): Promise<Opened> {
    const { ctx } = this;
    const env = fromBase64url(o.envelope);
    const st = ctx.chains.teams.get(toBase64url(teamId));
    if (!st) throw new NotFoundError('unknown team');
    try {
      return await openTeamEnvelope(b, env, {
        teamId,
        expect: {
          objectId: fromBase64url(o.objectId),
          objectVersion: o.version,
          collection: o.collection as EnvelopeHeader['collection'],
          blindIndex: o.blindIndex === null ? null : fromBase64url(o.blindIndex),
        },
        authorize: (h) => st.authorizeObject(h, ctx.chains.resolve),
        keyFor: (g) => ctx.chains.keyFor(teamId, g),
      });
    } catch (e) {
      throw verificationFailure(e, `team object ${o.objectId} does not verify`);
    }
  }

  async #openDirect(d: CachedDirect, b: CryptoBackend): Promise<Opened> {
    const { ctx } = this;
    try {
      return await openDirectEnvelope(b, fromBase64url(d.envelope), {
        me: { id: ctx.id.device.id, kemSk: ctx.id.device.kemSk, principal: ctx.id.principalId },
        expect: { objectId: fromBase64url(d.objectId) },
        authorize: (h) => {
          const k = ctx.chains.resolve(h.author)?.deviceAt(h.authorDevice, h.createdAt)?.sigPk;
          if (!k)
            throw new VerificationError(
              'unknown-signer',
              'author device is not a device of its author',
            );
          return k;
        },
      });
    } catch (e) {
      throw verificationFailure(e, `direct message ${d.objectId} does not verify`);
    }
  }

  /**
   * The author of an envelope, synced before its signature is checked. `what` names the
   * object in errors. An author the relay does not know is the envelope's failure (a relay
   * that alters the author field must not pass for a missing resource).
   */
  async #prefetchAuthor(envelope: string, session: Set<string>, what: string): Promise<void> {
    let author: Uint8Array;
    try {
      author = decodeHeader(splitEnvelope(fromBase64url(envelope)).header).author;
    } catch (e) {
      throw verificationFailure(e, what);
    }
    try {
      await this.ctx.chains.syncPrincipal(this.ctx.api, author, session);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      throw new VerificationError(
        'unknown-signer',
        `${what}: its author is not known to the relay`,
      );
    }
  }

  /** Step 5 for one team: fetches objects after the cursor, verifies each, caches it. */
  async syncTeamObjects(teamId: Uint8Array, session = new Set<string>()): Promise<void> {
    const { ctx } = this;
    const key = toBase64url(teamId);
    const rec = ctx.data.teams[key];
    if (!rec) throw new NotFoundError('unknown team');
    const newest = newestVersions(rec.objects);
    for (;;) {
      const page = await ctx.api.request<{
        objects: CachedObject[] & { tombstone?: boolean }[];
        next: number;
      }>('GET', `/v1/teams/${key}/objects`, undefined, {
        query: { since: rec.cursor, limit: 500 },
      });
      if (!Array.isArray(page.objects))
        throw new VerificationError('malformed', 'malformed object list');
      if (page.objects.length === 0) break;
      for (const o of page.objects) {
        if (!(o.seq > rec.cursor))
          throw new VerificationError('malformed', 'the relay sent objects out of order');
        const item: CachedObject = {
          seq: o.seq,
          objectId: o.objectId,
          version: o.version,
          collection: o.collection,
          blindIndex: o.blindIndex ?? null,
          envelope: o.envelope,
        };
        checkNextVersion(newest, item);
        await this.#prefetchAuthor(
          o.envelope,
          session,
          `team object ${o.objectId} does not verify`,
        );
        await this.#openTeam(teamId, item, ctx.b);
        newest.set(item.objectId, item.version);
        rec.objects.push(item);
        rec.cursor = o.seq;
      }
      await ctx.save();
    }
  }

  /** Step 5 for the direct inbox. */
  async syncInbox(session = new Set<string>()): Promise<void> {
    const { ctx } = this;
    const inbox = ctx.data.inbox;
    for (;;) {
      const page = await ctx.api.request<{ items: CachedDirect[]; next: number }>(
        'GET',
        '/v1/inbox',
        undefined,
        {
          query: { since: inbox.cursor, limit: 500 },
        },
      );
      if (!Array.isArray(page.items)) throw new VerificationError('malformed', 'malformed inbox');
      if (page.items.length === 0) break;
      for (const d of page.items) {
        if (!(d.seq > inbox.cursor))
          throw new VerificationError('malformed', 'the relay sent inbox entries out of order');
        const item = {
          seq: d.seq,
          objectId: d.objectId,
          acked: d.acked === true,
          envelope: d.envelope,
        };
        await this.#prefetchAuthor(
          d.envelope,
          session,
          `direct message ${d.objectId} does not verify`,
        );
        try {
          await this.#openDirect(item, ctx.b);
          inbox.items.push(item);
        } catch (e) {
          // Sent before this device existed: no key was wrapped to it. Not an attack.
          if (!(e instanceof VerificationError && e.reason === 'no-key')) throw e;
        }
        inbox.cursor = d.seq;
      }
      await ctx.save();
    }
  }

  /** A principal's display name as a verified team chain gives it ('' when none does). */
  async nameOf(principal: Uint8Array): Promise<string> {
    const { ctx } = this;
    if (toBase64url(principal) === toBase64url(ctx.id.principalId)) return ctx.id.name;
    for (const st of ctx.chains.teams.values()) {
      const n = await memberName(ctx, st, principal);
      if (n) return n;
    }
    return '';
  }

  async #decode(
    key: string,
    opened: () => Promise<Opened>,
    team?: { id: string; name: string },
  ): Promise<Message | null> {
    if (this.#decoded.has(key)) return this.#decoded.get(key) ?? null;
    const { header, body } = await opened();
    let m: Message | null = null;
    if (header.collection === COLLECTION.message && (header.flags & FLAG_TOMBSTONE) === 0) {
      try {
        const mb = decodeMessageBody(body);
        m = {
          id: toBase64url(header.objectId),
          ...(team ? { team } : {}),
          direct: !team,
          from: {
            principalId: toBase64url(header.author),
            name: await this.nameOf(header.author),
          },
          ...(header.direct ? { to: header.direct.recipients.map(toBase64url) } : {}),
          createdAt: header.createdAt,
          type: mb.type,
          priority: mb.priority,
          topic: mb.topic,
          ...(mb.replyTo ? { replyTo: toBase64url(mb.replyTo) } : {}),
          text: mb.text,
          read: false,
          acked: false,
        };
      } catch (e) {
        this.ctx.warnings.push(
          `message ${toBase64url(header.objectId)} has a malformed body: ${(e as Error).message}`,
        );
      }
    }
    this.#decoded.set(key, m);
    return m;
  }

  /**
   * Every cached envelope that may hold `collection` (team objects of it, and every direct
   * envelope: their collection is only known once opened), with how to open and verify it
   * again. Shared by messages and snippets.
   */
  async cached(collection: number, teamFilter?: string): Promise<CachedEnvelope[]> {
    const { ctx } = this;
    const out: CachedEnvelope[] = [];
    for (const [tid, rec] of Object.entries(ctx.data.teams)) {
      if (teamFilter && tid !== teamFilter) continue;
      const st = ctx.chains.teams.get(tid);
      if (!st) continue;
      const team = { id: tid, name: await teamName(ctx, st) };
      const teamId = fromBase64url(tid);
      for (const o of rec.objects) {
        if (o.collection !== collection) continue;
        out.push({
          key: `${tid}:${o.seq}`,
          team,
          open: () => this.#openTeam(teamId, o, this.#replay),
        });
      }
    }
    if (!teamFilter)
      for (const d of ctx.data.inbox.items)
        out.push({
          key: `inbox:${d.seq}`,
          acked: d.acked,
          open: () => this.#openDirect(d, this.#replay),
        });
    return out;
  }

  /** Every cached message, verified again and decoded, oldest first. */
  async #all(teamFilter?: string): Promise<Message[]> {
    const { ctx } = this;
    const out: Message[] = [];
    for (const c of await this.cached(COLLECTION.message, teamFilter)) {
      const m = await this.#decode(c.key, c.open, c.team);
      if (m) out.push(c.acked === undefined ? m : { ...m, acked: c.acked });
    }
    const read = new Set(ctx.data.read);
    const acked = new Set(ctx.data.acked);
    return out
      .map((m) => ({ ...m, read: read.has(m.id), acked: m.acked || acked.has(m.id) }))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /**
   * Steps 1-5 for every team (or the one with id `teamFilter`, then without the direct
   * inbox): fetches, verifies and caches new objects of every collection.
   */
  async sync(teamFilter?: string): Promise<void> {
    const { ctx } = this;
    await ctx.flushOutbox();
    ctx.api.prefetch(syncReads(ctx, teamFilter));
    try {
      await this.#sync(teamFilter);
    } finally {
      ctx.api.clearPrefetch();
    }
  }

  async #sync(teamFilter?: string): Promise<void> {
    const { ctx } = this;
    const session = new Set<string>();
    if (!teamFilter) await this.teams.listIn(session);
    for (const [tid, rec] of Object.entries(ctx.data.teams)) {
      if (teamFilter ? tid !== teamFilter : rec.gone) continue;
      try {
        await syncTeamFull(ctx, fromBase64url(tid), session);
      } catch (e) {
        if (e instanceof NotFoundError) continue; // removed: keep what was verified before
        throw e;
      }
      await this.syncTeamObjects(fromBase64url(tid), session);
    }
    if (!teamFilter) await this.syncInbox(session);
  }

  /** Syncs (unless offline) and returns verified messages, newest last. */
  async inbox(opts: InboxOptions = {}): Promise<Message[]> {
    const { ctx } = this;
    let teamFilter: string | undefined;
    if (opts.team) teamFilter = toBase64url(await findTeam(ctx, opts.team));
    if (!opts.offline) await this.sync(teamFilter);
    const all = await this.#all(teamFilter);
    return opts.unread ? all.filter((m) => !m.read) : all;
  }

  async #find(id: string): Promise<Message> {
    let m = (await this.#all()).find((x) => x.id === id);
    if (!m) m = (await this.inbox()).find((x) => x.id === id);
    if (!m) throw new NotFoundError(`no message ${id}`);
    return m;
  }

  /** Marks a message read and returns it. */
  async read(id: string): Promise<Message> {
    const m = await this.#find(id);
    if (!this.ctx.data.read.includes(id)) this.ctx.data.read.push(id);
    await this.ctx.save();
    return { ...m, read: true };
  }

  /** Acknowledges a message (for a direct one, on the relay for all this principal's devices). */
  async ack(id: string): Promise<Message> {
    const m = await this.#find(id);
    if (m.direct) {
      await this.ctx.api.request('POST', '/v1/inbox/ack', { objectIds: [id] });
      for (const d of this.ctx.data.inbox.items) if (d.objectId === id) d.acked = true;
    }
    if (!this.ctx.data.acked.includes(id)) this.ctx.data.acked.push(id);
    if (!this.ctx.data.read.includes(id)) this.ctx.data.read.push(id);
    await this.ctx.save();
    return { ...m, read: true, acked: true };
  }

  /** The thread a message belongs to: its root and every reply below it, oldest first. */
  async thread(id: string): Promise<Message[]> {
    const start = await this.#find(id);
    const all = await this.#all();
    const byId = new Map(all.map((m) => [m.id, m]));
    let root = start;
    const seen = new Set<string>([root.id]);
    while (root.replyTo && byId.has(root.replyTo) && !seen.has(root.replyTo)) {
      root = byId.get(root.replyTo) as Message;
      seen.add(root.id);
    }
    const inThread = new Set([root.id]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const m of all)
        if (m.replyTo && inThread.has(m.replyTo) && !inThread.has(m.id)) {
          inThread.add(m.id);
          grew = true;
        }
    }
    return all.filter((m) => inThread.has(m.id));
  }
}

/** Throws a UsageError for an empty message. */
export function checkText(text: string): void {
  if (!text) throw new UsageError('a message needs text');
}

/** The highest version of every cached object. */
function newestVersions(objects: readonly CachedObject[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of objects) m.set(o.objectId, Math.max(o.version, m.get(o.objectId) ?? 0));
  return m;
}

/**
 * Versions of an object are stored in order, each with the next sequence number, so a
 * listing must bring each object's versions as 1, 2, 3, ... A version at or below one
 * already verified is an older version served again (rollback or replay); a skipped one was
 * withheld. Either is refused before it is cached, so the cache stays clean.
 */
function checkNextVersion(newest: ReadonlyMap<string, number>, o: CachedObject): void {
  const have = newest.get(o.objectId) ?? 0;
  if (o.version <= have)
    throw new VerificationError(
      'rollback',
      `the relay served version ${o.version} of object ${o.objectId} after version ${have} (rollback)`,
    );
  if (o.version !== have + 1)
    throw new VerificationError(
      'missing-version',
      `the relay served version ${o.version} of object ${o.objectId} without version ${have + 1}`,
    );
}
