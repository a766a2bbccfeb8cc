/**
 * Prepared queries (db/prepared.ts) on both real databases: every shape gets its own
 * values in the right places, inside and outside transactions, and arguments whose shape
 * the cache key could not describe are refused instead of run with misplaced values. On
 * PostgreSQL a shape without lists runs as a named statement (db/pg-named.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Insertable } from 'kysely';
import { parseConfig, type ServerConfig } from '../src/config.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { prepared } from '../src/db/prepared.js';
import type { EventsTable } from '../src/db/schema.js';
import { dialects, Storage } from './harness.js';

const insert = prepared(1, (db, rows: Insertable<EventsTable>[]) =>
  db.insertInto('events').values(rows).returning('id'),
);
const byTypes = prepared(2, (db, teamId: string, types: string[]) =>
  db
    .selectFrom('events')
    .select(['type', 'data', 'principal_id'])
    .where('team_id', '=', teamId)
    .where('type', 'in', types)
    .orderBy('id'),
);

const row = (type: string, data: string, principal: string | null = null) => ({
  team_id: 't1',
  principal_id: principal,
  type,
  data,
  created_at: 1,
});

for (const kind of await dialects()) {
  describe(`prepared queries (${kind})`, () => {
    const storage = new Storage(kind);
    let store: Db;

    before(async () => {
      const env = await storage.env();
      const argv = ['--data-dir', storage.dataDir, '--log-level', 'silent'];
      if (env.DATABASE_URL) argv.push('--database-url', env.DATABASE_URL);
      store = await openDatabase(parseConfig(argv, {}) as ServerConfig);
    });
    after(async () => {
      await store.close();
      await storage.destroy();
    });

    it('puts each shape’s values in their places, in and out of transactions', async () => {
      await insert.all(store.db, [row('a', '1')]);
      await store.db.transaction().execute(async (trx) => {
        await insert.all(trx, [row('b', '2', 'p'), row('c', '3')]);
        await insert.all(trx, [row('d', '4'), row('e', '5'), row('f', '6', 'q')]);
      });
      await insert.all(store.db, [row('g', '7')]);
      const got = async (types: string[]) =>
        (await byTypes.all(store.db, 't1', types)).map(
          (r) => `${r.type}${r.data}${r.principal_id ?? '-'}`,
        );
      assert.deepEqual(await got(['a']), ['a1-']);
      assert.deepEqual(await got(['f', 'b']), ['b2p', 'f6q']);
      assert.deepEqual(await got(['g', 'c', 'a', 'x']), ['a1-', 'c3-', 'g7-']);
      assert.deepEqual(await byTypes.all(store.db, 't2', ['a']), []);
    });

    it('refuses mixed columns, nested lists, undefined and expressions, before running anything', async () => {
      const swapped = { principal_id: null, team_id: 't1', type: 'z', data: '0', created_at: 1 };
      await assert.rejects(insert.all(store.db, [row('y', '0'), swapped]), /same columns/);
      const lists = prepared(1, (db, ids: string[]) =>
        db.selectFrom('events').select('id').where('type', 'in', ids),
      );
      await assert.rejects(
        lists.all(store.db, [['a'] as unknown as string]),
        /only hold single values/,
      );
      const missing = { ...row('y', '0'), principal_id: undefined as unknown as null };
      await assert.rejects(insert.all(store.db, [missing]), /cannot bind undefined/);
      await assert.rejects(
        byTypes.all(store.db, sql<string>`'t1'` as unknown as string, ['a']),
        /cannot bind object/,
      );
      assert.deepEqual(await byTypes.all(store.db, 't1', ['y', 'z']), []);
    });

    if (kind === 'postgres')
      it('runs a shape without lists as a named statement, one with a list unnamed', async () => {
        const byType = prepared(2, (db, teamId: string, type: string) =>
          db
            .selectFrom('events')
            .select(['type', 'data'])
            .where('team_id', '=', teamId)
            .where('type', '=', type),
        );
        // One transaction: its statements run on one connection, whose named statements
        // pg_prepared_statements lists.
        const { named, rows } = await store.db.transaction().execute(async (trx) => {
          const rows = [
            ...(await byType.all(trx, 't1', 'a')),
            ...(await byType.all(trx, 't1', 'g')),
            ...(await byTypes.all(trx, 't1', ['c'])),
          ];
          const named = await sql<{ statement: string }>`
            select statement from pg_prepared_statements where name like 'hush_%'`.execute(trx);
          return { named: named.rows.map((r) => r.statement), rows };
        });
        assert.deepEqual(
          rows.map((r) => r.type + r.data),
          ['a1', 'g7', 'c3'],
        );
        assert.ok(
          named.some((t) => /"type" = \$2/.test(t)),
          `the listless query is prepared: ${named.join(' | ')}`,
        );
        assert.ok(
          !named.some((t) => / in \(/i.test(t)),
          `no query with a list is: ${named.join(' | ')}`,
        );
      });
  });
}
