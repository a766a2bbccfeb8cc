/**
 * Where an identity keeps its records: `identity` (identity.json), `state` (state.json) and
 * one `outbox/<objectId>` per queued envelope (`outbox/<objectId>.failed` once the relay
 * refused it for good). Values are JSON texts. Every write replaces a record atomically: a
 * crash at any point leaves the old or the new text, never a torn one.
 *
 * Two implementations: files under a home directory on Node (`fileStorage` in
 * `@hush/client`), and any string key-value store in browsers (`kvStorage`), with an
 * in-memory store (`memoryStore`) and an IndexedDB store (`indexedDbStore`) provided.
 */
import { ClientError, LocalStateError } from './errors.js';

/** The record names of a home. */
export const RECORD = { identity: 'identity', state: 'state', outbox: 'outbox/' } as const;

/** One identity's records (docs/CLIENT.md, "Files"). */
export interface HushStorage {
  /** Where the records live, for messages and `whoami().home`: a directory, or a store name. */
  readonly location: string;
  /** How a record is named in messages (its file path on Node). */
  describe(key: string): string;
  /** The record's text; undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  /** Replaces the record atomically. */
  write(key: string, text: string): Promise<void>;
  /** Deletes the record (no error when it is already gone). */
  remove(key: string): Promise<void>;
  /** The keys that start with `prefix`, in no particular order. */
  list(prefix: string): Promise<string[]>;
}

/**
 * A string key-value store, the one thing a browser storage needs to provide. `set` must
 * replace the value in one step (a single IndexedDB transaction, a Map update).
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix: string): Promise<string[]>;
}

/**
 * A key-value store held in memory: nothing survives the page or process. For tests, and
 * for a throw-away session.
 * @example
 * const hush = await Hush.init({ server, name: 'alice', storage: memoryStore() });
 */
export function memoryStore(): KeyValueStore {
  const m = new Map<string, string>();
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
    keys: async (p) => [...m.keys()].filter((k) => k.startsWith(p)),
  };
}

/**
 * The records of one identity in a key-value store, each key prefixed with `name + "/"` so
 * several identities can share a store.
 * @example
 * const storage = kvStorage(indexedDbStore('hush'), 'alice');
 */
export function kvStorage(kv: KeyValueStore, name = 'default'): HushStorage {
  const p = `${name}/`;
  return {
    location: name,
    describe: (key) => `${name}:${key}`,
    read: (key) => kv.get(p + key),
    write: (key, text) => kv.set(p + key, text),
    remove: (key) => kv.delete(p + key),
    list: async (prefix) => (await kv.keys(p + prefix)).map((k) => k.slice(p.length)),
  };
}

/** The text form every record is written in (pretty JSON and a newline, as files always were). */
export function recordText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** A record's text: undefined when absent, LocalStateError when it cannot be read. */
export async function readText(s: HushStorage, key: string): Promise<string | undefined> {
  try {
    return await s.read(key);
  } catch (e) {
    if (e instanceof ClientError) throw e;
    throw new LocalStateError(`cannot read ${s.describe(key)}: ${(e as Error).message}`);
  }
}

/** Parses a record's text (`where` names it in the error). */
export function parseRecord(text: string | undefined, where: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LocalStateError(`${where} is not valid JSON`);
  }
}

/** Reads and parses a record: undefined when absent, LocalStateError when unreadable. */
export async function readRecord(s: HushStorage, key: string): Promise<unknown> {
  return parseRecord(await readText(s, key), s.describe(key));
}

/** Writes a record as JSON (atomic replace). */
export function writeRecord(s: HushStorage, key: string, value: unknown): Promise<void> {
  return s.write(key, recordText(value));
}
