/**
 * The embedded SQLite database opens with the settings its durability and its write rate
 * rest on (db/database.ts): WAL with synchronous=FULL, so a commit is on disk before a
 * write is acknowledged; statement journals in memory, not in temporary files; and the
 * longer checkpoint interval.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { parseConfig, type ServerConfig } from '../src/config.js';
import { openDatabase, WAL_CHECKPOINT_PAGES, type Db } from '../src/db/database.js';
import { Storage } from './harness.js';

describe('SQLite settings', () => {
  const storage = new Storage('sqlite');
  let store: Db;

  before(async () => {
    const argv = ['--data-dir', storage.dataDir, '--log-level', 'silent'];
    store = await openDatabase(parseConfig(argv, {}) as ServerConfig);
  });
  after(async () => {
    await store.close();
    await storage.destroy();
  });

  const pragma = async (name: string): Promise<unknown> => {
    const { rows } = await sql<Record<string, unknown>>`PRAGMA ${sql.raw(name)}`.execute(store.db);
    return Object.values(rows[0] ?? {})[0];
  };

  it('journals to a WAL and syncs it at every commit', async () => {
    assert.equal(await pragma('journal_mode'), 'wal');
    assert.equal(await pragma('synchronous'), 2, 'synchronous=FULL');
  });

  it('keeps statement journals in memory and checkpoints every WAL_CHECKPOINT_PAGES pages', async () => {
    assert.equal(await pragma('temp_store'), 2, 'temp_store=MEMORY');
    assert.equal(await pragma('wal_autocheckpoint'), WAL_CHECKPOINT_PAGES);
    assert.equal(await pragma('foreign_keys'), 1);
  });
});
