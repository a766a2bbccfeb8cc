/**
 * Opens the database through one query layer (Kysely) with two dialects: SQLite
 * (better-sqlite3, the embedded default: WAL with synchronous=FULL, so an acknowledged
 * write is on disk) and PostgreSQL (pg). Runs migrations before returning.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import { migrations } from './migrations.js';
import { useNamedStatements } from './pg-named.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * WAL pages after which a commit copies the log back into the database file (SQLite's
 * default is 1,000). A write batch rewrites the same hot pages (the tables' and indexes'
 * right edges, the team row), and a checkpoint copies each page once however often the log
 * holds it, so a longer log is checkpointed less often for fewer page copies and fsyncs:
 * about 7% less server CPU a durable write at 10,000 (docs/SERVER-PERFORMANCE.md). The log
 * then grows to about 40 MiB before it is reused, and a checkpoint holds the event loop
 * for about 30 ms.
 */
export const WAL_CHECKPOINT_PAGES = 10_000;

export interface Db {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The raw pg pool (for LISTEN/NOTIFY), when on PostgreSQL. */
  readonly pool: pg.Pool | undefined;
  close(): Promise<void>;
}

// BIGINT (int8) as a JS number: every value hush stores stays below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and caching them
 * roughly doubled durable write throughput. Kysely runs one query at a time on this
 * connection, so a cached statement is never in use twice at once.
 */
function cachedStatements(file: SQLite.Database): {
  prepare: SQLite.Database['prepare'];
  close(): void;
} {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let st = cache.get(sql);
      if (!st) {
        if (cache.size >= 1000) cache.clear();
        st = file.prepare(sql);
        cache.set(sql, st);
      }
      return st;
    },
    close: () => file.close(),
  } as { prepare: SQLite.Database['prepare']; close(): void };
}

/**
 * SQLite rolls a transaction back by itself after some errors (SQLITE_FULL, SQLITE_IOERR,
 * ...). Kysely then sends ROLLBACK, which fails with "no transaction is active", and that
 * error replaced the real one: a full disk was answered 500 instead of 503. This driver
 * only rolls back what is still open.
 */
class SqliteDriverKeepingErrors extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly file: SQLite.Database,
  ) {
    super(config);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.file.inTransaction) await super.rollbackTransaction(connection);
  }
}

class HushSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly file: SQLite.Database,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new SqliteDriverKeepingErrors(this.config, this.file);
  }
}

/** Opens and migrates the database named by the config. */
export async function openDatabase(opts: {
  databaseUrl?: string | undefined;
  dataDir: string;
}): Promise<Db> {
  let db: Kysely<Database>;
  let dialect: Dialect;
  let pool: pg.Pool | undefined;
  if (opts.databaseUrl) {
    dialect = 'postgres';
    // Each request holds a connection for its reads while a batch holds one for its
    // transaction: with 10, writes under load waited for a connection of the pool.
    pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: 20,
      connectionTimeoutMillis: 5000,
    });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on('error', () => {});
    // A checked-out client losing its connection (between the statements of a transaction)
    // emits 'error' on itself, not on the pool: unhandled, that killed the process. The
    // statement that runs into it fails (answered 503) and the pool drops the dead client.
    pool.on('connect', (client) => {
      client.on('error', () => {});
      useNamedStatements(client);
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    dialect = 'sqlite';
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const file = new SQLite(join(opts.dataDir, 'hush.db'));
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = FULL');
    file.pragma('busy_timeout = 5000');
    file.pragma('foreign_keys = ON');
    // A multi-row statement inside a transaction keeps a statement journal (the pages it
    // changed, to undo just that statement); past 64 KiB SQLite spills it to a temporary
    // file, which every write batch then created, wrote and deleted. Held in memory it is
    // bounded by the batch (MAX_BATCH writes) and costs no system call.
    file.pragma('temp_store = MEMORY');
    file.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    db = new Kysely<Database>({
      dialect: new HushSqliteDialect({ database: cachedStatements(file) }, file),
    });
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return { db, dialect, pool, close: () => db.destroy() };
}
