/**
 * Encrypted key-value data (`hush.kv`): entries (entries.ts) of collection `kv`, one JSON
 * text per key, with the same versions, compare-and-set and rollback checks as secrets.
 * Every role but reader may write. Keys starting with `hush:` are reserved (agent secret
 * grants, docs/CLIENT.md "Agents and secrets") and refused by `set` and `delete`.
 */
import { fromUtf8, toBase64url, utf8 } from '@hush/core';
import type { Ctx } from './context.js';
import { Entries, KV_ENTRIES, type EntryVersion, type WriteResult } from './entries.js';
import { syncEntryTeam } from './entry-team.js';
import { chooseTeam } from './only-team.js';
import { NotFoundError, UsageError } from './errors.js';
import type { Messages } from './messages.js';
import type { Author } from './secret-types.js';
import type { Teams } from './teams.js';
import { watchEvents } from './watch.js';

/** Which team a call works on (id or name; default: the only team). */
export interface KvScope {
  readonly team?: string;
}

/** Options of `kv.set`. */
export interface KvSetOptions extends KvScope {
  /** `value` is a JSON text, stored as written (validated, not canonicalised). */
  readonly raw?: boolean;
  /** Stored with the value (encrypted); default: keep the current comment. */
  readonly comment?: string;
  /** Write only if the key's latest version is this one (0: it must not exist yet). */
  readonly ifVersion?: number;
}

/** A key's current value. */
export interface KvEntry {
  readonly key: string;
  /** The value, parsed. */
  readonly value: unknown;
  /** The JSON text as its author wrote it. */
  readonly json: string;
  readonly comment: string;
  readonly version: number;
  /** When this version was written, as its author claims (ms since the epoch). */
  readonly updatedAt: number;
  readonly author: Author;
}

/** What `kv.watch` yields. */
export type KvEvent =
  | { readonly type: 'ready' }
  | { readonly type: 'set'; readonly entry: KvEntry }
  | {
      readonly type: 'deleted';
      readonly key: string;
      readonly version: number;
      readonly author: Author;
    }
  | { readonly type: 'reconnecting'; readonly reason: string };

/** Options of `kv.watch`. */
export interface KvWatchOptions extends KvScope {
  /** Only these keys. */
  readonly keys?: readonly string[];
  /** Stops the watcher. */
  readonly signal?: AbortSignal;
  /** Backoff before reconnecting, in ms (default 1000, doubling to 30 s). */
  readonly retryMs?: number;
}

/** The reserved prefix of agent secret grants. */
export const RESERVED_PREFIX = 'hush:';

function checkKey(key: string): void {
  if (key === '' || utf8(key).length > 1024)
    throw new UsageError('a key is 1 to 1024 bytes of UTF-8');
}

function checkWritable(key: string): void {
  checkKey(key);
  if (key.startsWith(RESERVED_PREFIX))
    throw new UsageError(`keys starting with "${RESERVED_PREFIX}" are reserved for hush itself`);
}

/** The kv namespace of the SDK (`hush.kv`). */
export class Kv {
  readonly #entries: Entries;

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
    private readonly messages: Messages,
  ) {
    this.#entries = new Entries(ctx, teams, messages, KV_ENTRIES);
  }

  async #team(scope: KvScope): Promise<Uint8Array> {
    const teamId = await chooseTeam(this.ctx, this.teams, scope.team);
    await syncEntryTeam(this.ctx, this.messages, teamId);
    return teamId;
  }

  async #author(author: Uint8Array): Promise<Author> {
    return { principalId: toBase64url(author), name: await this.messages.nameOf(author) };
  }

  async #entry(v: EntryVersion): Promise<KvEntry> {
    const json = fromUtf8(v.value ?? new Uint8Array(0));
    return {
      key: v.name,
      value: JSON.parse(json) as unknown,
      json,
      comment: v.comment,
      version: v.version,
      updatedAt: v.createdAt,
      author: await this.#author(v.author),
    };
  }

  /**
   * Sets a key to a JSON value (or, with `raw`, to a JSON text as written).
   * @example
   * await hush.kv.set('deploy/lock', { by: 'ci', until: Date.now() + 60_000 });
   * await hush.kv.set('feature.flags', '{"beta": true}', { raw: true, ifVersion: 3 });
   */
  async set(key: string, value: unknown, opts: KvSetOptions = {}): Promise<WriteResult> {
    checkWritable(key);
    let json: string | undefined;
    if (opts.raw) {
      if (typeof value !== 'string') throw new UsageError('a raw value must be a JSON text');
      json = value;
    } else json = JSON.stringify(value);
    if (json === undefined) throw new UsageError('the value cannot be written as JSON');
    const teamId = await this.#team(opts);
    const [r] = await this.#entries.write(teamId, [
      {
        environment: '',
        name: key,
        value: utf8(json),
        ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
        ...(opts.ifVersion !== undefined ? { ifVersion: opts.ifVersion } : {}),
      },
    ]);
    return r as WriteResult;
  }

  /**
   * A key's current value.
   * @throws NotFoundError when the key is not set.
   * @example
   * const { value, version } = await hush.kv.get('deploy/lock');
   */
  async get(key: string, scope: KvScope = {}): Promise<KvEntry> {
    checkKey(key);
    const teamId = await this.#team(scope);
    const v = await this.#entries.current(teamId, '', key);
    if (!v || v.deleted) throw new NotFoundError(`no key ${key}`);
    return this.#entry(v);
  }

  /**
   * Every key that is set, sorted.
   * @example
   * for (const e of await hush.kv.list()) console.log(e.key, e.json);
   */
  async list(scope: KvScope = {}): Promise<KvEntry[]> {
    const teamId = await this.#team(scope);
    const out: KvEntry[] = [];
    for (const v of await this.#entries.latest(teamId)) out.push(await this.#entry(v));
    return out;
  }

  /**
   * Deletes a key (a tombstone version; a later `set` sets it again).
   * @example
   * await hush.kv.delete('deploy/lock', { ifVersion: 7 });
   */
  async delete(key: string, opts: KvScope & { ifVersion?: number } = {}): Promise<WriteResult> {
    checkWritable(key);
    const teamId = await this.#team(opts);
    const [r] = await this.#entries.write(teamId, [
      {
        environment: '',
        name: key,
        value: undefined,
        ...(opts.ifVersion !== undefined ? { ifVersion: opts.ifVersion } : {}),
      },
    ]);
    return r as WriteResult;
  }

  /**
   * Changes as they happen (Server-Sent Events, resumed after a disconnect): each one is
   * synced and verified before it is yielded. Stop with `opts.signal`.
   * @example
   * for await (const ev of hush.kv.watch({ keys: ['deploy/lock'], signal })) if (ev.type === 'set') console.log(ev.entry.json);
   */
  watch(opts: KvWatchOptions = {}): AsyncIterable<KvEvent> {
    return { [Symbol.asyncIterator]: () => this.#watch(opts)[Symbol.asyncIterator]() };
  }

  async *#watch(opts: KvWatchOptions): AsyncGenerator<KvEvent> {
    const teamId = await this.#team(opts);
    const tid = toBase64url(teamId);
    const seen = new Map<string, number>();
    for (const [id, v] of await this.#entries.newest(teamId)) seen.set(id, v.version);
    const keys = opts.keys ? new Set(opts.keys) : undefined;
    const onChange = async (team: string | undefined): Promise<KvEvent[]> => {
      if (team !== tid) return [];
      try {
        await syncEntryTeam(this.ctx, this.messages, teamId);
      } catch (e) {
        if (e instanceof NotFoundError) return [];
        throw e;
      }
      const out: KvEvent[] = [];
      for (const [id, v] of await this.#entries.newest(teamId)) {
        if ((seen.get(id) ?? 0) >= v.version) continue;
        seen.set(id, v.version);
        if (keys && !keys.has(v.name)) continue;
        out.push(
          v.deleted
            ? {
                type: 'deleted',
                key: v.name,
                version: v.version,
                author: await this.#author(v.author),
              }
            : { type: 'set', entry: await this.#entry(v) },
        );
      }
      return out;
    };
    const { signal, retryMs } = opts;
    for await (const ev of watchEvents(
      this.ctx,
      { ...(signal ? { signal } : {}), ...(retryMs !== undefined ? { retryMs } : {}) },
      onChange,
    )) {
      if (ev.type === 'ready') yield { type: 'ready' };
      else if (ev.type === 'reconnecting') yield ev;
      else if (ev.type === 'set' || ev.type === 'deleted') yield ev;
    }
  }
}
