/**
 * Named, versioned entries (PROTOCOL.md 10.4): the one implementation behind secrets
 * (collection 4) and KV data (collection 3), which differ only in the collection, the
 * blind-index purpose, the scope (a secret's environment, '' for KV) and what a value is.
 *
 * One object per name: its versions are the entry's versions, a tombstone version deletes
 * it, a later version sets it again. Reads use the verified cache (the team's objects,
 * synced and checked by `Messages.syncTeamObjects`, which also refuses a version served
 * after a higher one), open only the versions they show, and check each body against its
 * header's blind index. Writes are compare-and-set at the relay: version `latest + 1` of
 * the entry's object, never queued, never retried silently (docs/CLIENT.md).
 */
import {
  ArgumentError,
  blindIndex,
  canWrite,
  checkEntryIndex,
  decodeEntryBody,
  encodeEntryBody,
  equalBytes,
  FLAG_TOMBSTONE,
  fromBase64url,
  indexKey,
  roleName,
  sealTeamEnvelope,
  toBase64url,
  type Collection,
  type EntryBody,
  type IndexKey,
} from '@hush/core';
import type { Ctx } from './context.js';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  UsageError,
  VerificationError,
  verificationFailure,
} from './errors.js';
import type { Messages } from './messages.js';
import type { CachedObject } from './state.js';
import type { Teams } from './teams.js';

/** What distinguishes secrets from KV entries. */
export interface EntryKind {
  readonly collection: Collection;
  readonly purpose: 'kv' | 'secret';
  /** How messages name one entry, e.g. `secret DB_URL (environment prod)`. */
  readonly label: (environment: string, name: string) => string;
}

/** Secrets: collection 4, index purpose `secret`, scope = the environment. */
export const SECRET_ENTRIES: EntryKind = {
  collection: 4,
  purpose: 'secret',
  label: (env, name) => `secret ${name} (environment ${env})`,
};

/** KV entries: collection 3, index purpose `kv`, scope ''. */
export const KV_ENTRIES: EntryKind = {
  collection: 3,
  purpose: 'kv',
  label: (_env, name) => `key ${name}`,
};

/** One verified version of an entry. */
export interface EntryVersion {
  readonly objectId: string;
  readonly version: number;
  readonly environment: string;
  readonly name: string;
  /** The value's bytes; undefined for a deletion (tombstone). */
  readonly value: Uint8Array | undefined;
  readonly comment: string;
  readonly deleted: boolean;
  /** Principal id of the author (signed, checked against the team chain). */
  readonly author: Uint8Array;
  /** Milliseconds since the epoch, as claimed by the author. */
  readonly createdAt: number;
  /** The team key generation the version is sealed under. */
  readonly generation: number;
  /** The team chain position the author signed it at (its rights are checked there). */
  readonly chainSeq: number;
}

/** A change to write: a value (and optionally a comment) to set, or `value: undefined` to delete. */
export interface EntryChange {
  readonly environment: string;
  readonly name: string;
  readonly value: Uint8Array | undefined;
  /** The comment to store; undefined keeps the current one. */
  readonly comment?: string;
  /** Write only if the entry's latest version is this one (0: it does not exist yet). */
  readonly ifVersion?: number;
}

/** What a write did. */
export interface WriteResult {
  readonly environment: string;
  readonly name: string;
  /** The entry's latest version after the write. */
  readonly version: number;
  /** False when the value was already the one asked for (nothing was written). */
  readonly changed: boolean;
}

/** A version opened and checked: its signed metadata, and its body unless it is a tombstone. */
interface OpenedEntry {
  readonly objectId: string;
  readonly version: number;
  readonly author: Uint8Array;
  readonly createdAt: number;
  readonly generation: number;
  readonly chainSeq: number;
  readonly entry: EntryBody | undefined;
}

/** Every version of one entry's object, in version order (metadata only). */
interface Group {
  readonly objectId: string;
  readonly versions: CachedObject[];
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** The shared entry implementation; `Secrets` and `Kv` wrap one each. */
export class Entries {
  readonly #indexKeys = new Map<string, Promise<IndexKey>>();
  readonly #opened = new Map<string, Promise<OpenedEntry>>();

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
    private readonly messages: Messages,
    readonly kind: EntryKind,
  ) {}

  /** The purpose key of this collection for a team (from TK_1, stable across rotations). */
  #indexKey(teamId: Uint8Array): Promise<IndexKey> {
    const tid = toBase64url(teamId);
    let k = this.#indexKeys.get(tid);
    if (!k) {
      k = this.ctx.chains
        .keyFor(teamId, 1)
        .then((tk1) => indexKey(this.ctx.b, tk1, teamId, this.kind.purpose));
      this.#indexKeys.set(tid, k);
    }
    return k;
  }

  /** The blind index (base64url) of a name in a scope. */
  async index(teamId: Uint8Array, environment: string, name: string): Promise<string> {
    return toBase64url(
      await blindIndex(this.ctx.b, await this.#indexKey(teamId), environment, name),
    );
  }

  /**
   * The cached objects of this collection grouped per entry, keyed by blind index. A relay
   * can break the one-object-per-name rule only by lying: two objects under one index, an
   * object whose versions change index, or versions out of order are refused.
   */
  #groups(teamId: Uint8Array): Map<string, Group> {
    const rec = this.ctx.data.teams[toBase64url(teamId)];
    if (!rec) throw new NotFoundError('unknown team');
    const byIndex = new Map<string, Group>();
    const byObject = new Map<string, { index: string; group: Group }>();
    for (const o of rec.objects) {
      if (o.collection !== this.kind.collection) continue;
      const bad = (why: string) =>
        new VerificationError('context', `${this.kind.purpose} object ${o.objectId} ${why}`);
      if (o.blindIndex === null) throw bad('has no blind index');
      const known = byObject.get(o.objectId);
      if (known) {
        if (known.index !== o.blindIndex) throw bad('changed its blind index');
        const prev = known.group.versions.at(-1) as CachedObject;
        if (o.version !== prev.version + 1) throw bad('has versions out of order');
        known.group.versions.push(o);
        continue;
      }
      if (byIndex.has(o.blindIndex)) throw bad('shares its blind index with another object');
      if (o.version !== 1) throw bad('starts at a version other than 1');
      const group: Group = { objectId: o.objectId, versions: [o] };
      byIndex.set(o.blindIndex, group);
      byObject.set(o.objectId, { index: o.blindIndex, group });
    }
    return byIndex;
  }

  /** Opens and checks one cached version (memoized: a cached version never changes). */
  #open(teamId: Uint8Array, o: CachedObject): Promise<OpenedEntry> {
    const key = `${toBase64url(teamId)}:${o.seq}`;
    let p = this.#opened.get(key);
    if (!p) {
      p = this.#decode(teamId, o);
      this.#opened.set(key, p);
      p.catch(() => this.#opened.delete(key));
    }
    return p;
  }

  async #decode(teamId: Uint8Array, o: CachedObject): Promise<OpenedEntry> {
    const { header, body } = await this.messages.openObject(teamId, o);
    const meta = {
      objectId: o.objectId,
      version: o.version,
      author: header.author,
      createdAt: header.createdAt,
      generation: header.team?.generation ?? 0,
      chainSeq: header.team?.chainSeq ?? 0,
    };
    if ((header.flags & FLAG_TOMBSTONE) !== 0) return { ...meta, entry: undefined };
    try {
      const entry = decodeEntryBody(body, this.kind.purpose);
      await checkEntryIndex(this.ctx.b, await this.#indexKey(teamId), header, entry);
      return { ...meta, entry };
    } catch (e) {
      throw verificationFailure(e, `${this.kind.purpose} object ${o.objectId} does not verify`);
    }
  }

  /** One version as shown; a tombstone gets the name it deletes. */
  async #version(
    teamId: Uint8Array,
    o: CachedObject,
    environment: string,
    name: string,
  ): Promise<EntryVersion> {
    const { entry, ...meta } = await this.#open(teamId, o);
    if (!entry) return { ...meta, environment, name, value: undefined, comment: '', deleted: true };
    return { ...meta, ...entry, deleted: false };
  }

  /** The newest version of a group that is not a deletion (it names the entry). */
  async #named(teamId: Uint8Array, g: Group): Promise<EntryVersion | undefined> {
    for (let i = g.versions.length - 1; i >= 0; i--) {
      const { entry, ...meta } = await this.#open(teamId, g.versions[i] as CachedObject);
      if (entry) return { ...meta, ...entry, deleted: false };
    }
    return undefined;
  }

  /** The latest version of every entry that is not deleted (opening only those versions). */
  async latest(teamId: Uint8Array): Promise<EntryVersion[]> {
    const out: EntryVersion[] = [];
    for (const g of this.#groups(teamId).values()) {
      const { entry, ...meta } = await this.#open(teamId, g.versions.at(-1) as CachedObject);
      if (entry) out.push({ ...meta, ...entry, deleted: false });
    }
    return out.sort((a, b) => cmp(a.environment, b.environment) || cmp(a.name, b.name));
  }

  /**
   * The latest version of every entry, deleted ones included (a tombstone takes its name
   * from the newest live version before it), keyed by object id.
   */
  async newest(teamId: Uint8Array): Promise<Map<string, EntryVersion>> {
    const out = new Map<string, EntryVersion>();
    for (const g of this.#groups(teamId).values()) {
      const named = await this.#named(teamId, g);
      if (!named) continue;
      const last = g.versions.at(-1) as CachedObject;
      out.set(g.objectId, await this.#version(teamId, last, named.environment, named.name));
    }
    return out;
  }

  /** Every version of one entry, oldest first (empty when the name was never set). */
  async history(teamId: Uint8Array, environment: string, name: string): Promise<EntryVersion[]> {
    const g = this.#groups(teamId).get(await this.index(teamId, environment, name));
    if (!g) return [];
    const out: EntryVersion[] = [];
    for (const o of g.versions) out.push(await this.#version(teamId, o, environment, name));
    return out;
  }

  /** The latest version of one entry (a deletion included), or undefined. */
  async current(
    teamId: Uint8Array,
    environment: string,
    name: string,
  ): Promise<EntryVersion | undefined> {
    const g = this.#groups(teamId).get(await this.index(teamId, environment, name));
    const last = g?.versions.at(-1);
    return last ? this.#version(teamId, last, environment, name) : undefined;
  }

  /**
   * Writes changes to a synced team, one compare-and-set each, in order; stops at the first
   * failure (its message names what was written before it). An unchanged value writes
   * nothing, so running the same command again is safe.
   */
  async write(teamId: Uint8Array, changes: readonly EntryChange[]): Promise<WriteResult[]> {
    const { ctx } = this;
    const tid = toBase64url(teamId);
    const st = ctx.chains.teams.get(tid);
    if (!st) throw new NotFoundError('unknown team');
    const role = st.roleOf(ctx.id.principalId);
    if (role === undefined) throw new NotFoundError('you are not a member of that team');
    if (!canWrite(role, this.kind.collection))
      throw new AuthError(
        `your role in this team (${roleName(role)}) may not write ${this.kind.purpose === 'secret' ? 'secrets' : 'kv entries'}: ask an owner, admin or writer`,
      );
    await this.teams.ensureWritable(st);
    const done: WriteResult[] = [];
    try {
      for (const c of changes) done.push(await this.#writeOne(teamId, c));
    } catch (e) {
      const written = done.filter((d) => d.changed);
      if (written.length === 0 || !(e instanceof Error)) throw e;
      e.message += `; written before it: ${written.map((d) => d.name).join(', ')}`;
      throw e;
    }
    return done;
  }

  async #writeOne(teamId: Uint8Array, c: EntryChange): Promise<WriteResult> {
    const { ctx, kind } = this;
    const label = kind.label(c.environment, c.name);
    const index = await this.index(teamId, c.environment, c.name);
    const g = this.#groups(teamId).get(index);
    const lastObj = g?.versions.at(-1);
    const last = lastObj ? await this.#version(teamId, lastObj, c.environment, c.name) : undefined;
    const base = last?.version ?? 0;
    const result = { environment: c.environment, name: c.name };
    if (c.ifVersion !== undefined && c.ifVersion !== base)
      throw new ConflictError(`${label} is at version ${base}, not ${c.ifVersion}`);
    const live = last && !last.deleted ? last : undefined;
    if (c.value === undefined) {
      if (!live) throw new NotFoundError(`no ${label}`);
    } else if (
      live?.value &&
      equalBytes(live.value, c.value) &&
      (c.comment === undefined || c.comment === live.comment)
    )
      return { ...result, version: base, changed: false };
    let body = EMPTY;
    if (c.value !== undefined) {
      const comment = c.comment ?? live?.comment ?? '';
      try {
        body = encodeEntryBody(
          { environment: c.environment, name: c.name, value: c.value, comment },
          kind.purpose,
        );
      } catch (e) {
        if (e instanceof ArgumentError) throw new UsageError(`cannot store ${label}: ${e.message}`);
        throw e;
      }
    }
    const st = ctx.chains.teams.get(toBase64url(teamId));
    if (!st) throw new NotFoundError('unknown team');
    const generation = st.current.generation;
    const { envelope, header } = await sealTeamEnvelope(ctx.b, {
      teamId,
      generation,
      chainSeq: st.seq,
      key: await ctx.chains.keyFor(teamId, generation),
      author: ctx.id.principalId,
      device: ctx.id.device,
      collection: kind.collection,
      body,
      ...(g ? { objectId: fromBase64url(g.objectId) } : {}),
      objectVersion: base + 1,
      blindIndex: fromBase64url(index),
      flags: c.value === undefined ? FLAG_TOMBSTONE : 0,
    });
    const objectId = toBase64url(header.objectId);
    try {
      await ctx.api.request(
        'PUT',
        `/v1/teams/${toBase64url(teamId)}/objects/${objectId}/versions/${base + 1}`,
        { envelope: toBase64url(envelope) },
      );
    } catch (e) {
      throw this.#conflict(e, label, base);
    }
    return { ...result, version: base + 1, changed: true };
  }

  /** A refused compare-and-set: a conflict, or a relay claiming less than was verified. */
  #conflict(e: unknown, label: string, base: number): unknown {
    if (!(e instanceof ConflictError)) return e;
    const cur = e.details.currentVersion;
    if (typeof cur === 'number' && cur < base)
      return new VerificationError(
        'rollback',
        `the relay claims version ${cur} of ${label} is current, below version ${base} this device verified (rollback)`,
      );
    return new ConflictError(
      `${label} was changed by someone else (version ${typeof cur === 'number' ? cur : '?'} is current, this write was based on version ${base}): run the command again to see the new value`,
      { ...(e.code ? { code: e.code } : {}), details: e.details },
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
