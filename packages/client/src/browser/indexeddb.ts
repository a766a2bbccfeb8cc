/**
 * A key-value store in IndexedDB: one database with one object store of strings. Each `set`
 * is one readwrite transaction and resolves when it completes, so a record is replaced in
 * one step (IndexedDB transactions are atomic) and is durable once the promise resolves.
 */
import { LocalStateError } from '../errors.js';
import type { KeyValueStore } from '../storage.js';

const STORE = 'records';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * A key-value store in the IndexedDB database `name` (created on first use).
 * @example
 * const hush = await Hush.init({ server, name: 'alice', storage: indexedDbStore('hush') });
 */
export function indexedDbStore(
  name = 'hush',
  factory: IDBFactory | undefined = globalThis.indexedDB,
): KeyValueStore {
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> =>
    (db ??= (async () => {
      if (!factory) throw new LocalStateError('IndexedDB is not available here: pass a storage');
      const req = factory.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      try {
        return await request(req);
      } catch (e) {
        db = undefined;
        throw new LocalStateError(`cannot open IndexedDB ${name}: ${(e as Error).message}`);
      }
    })());
  const tx = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode);
  return {
    async get(key) {
      const v = await request((await tx('readonly')).objectStore(STORE).get(key));
      return typeof v === 'string' ? v : undefined;
    },
    async set(key, value) {
      const t = await tx('readwrite');
      t.objectStore(STORE).put(value, key);
      await done(t);
    },
    async delete(key) {
      const t = await tx('readwrite');
      t.objectStore(STORE).delete(key);
      await done(t);
    },
    async keys(prefix) {
      const all = await request((await tx('readonly')).objectStore(STORE).getAllKeys());
      return all.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
    },
  };
}
