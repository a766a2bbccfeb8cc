/**
 * Versioned, forward-only migrations for both dialects. Add a new entry with the next
 * number; never edit one that has shipped. Kysely's migrator takes a lock, so two server
 * processes starting on one PostgreSQL at once migrate exactly once.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './database.js';

type Any = Kysely<unknown>;

function init(dialect: Dialect): Migration {
  const bin = dialect === 'sqlite' ? sql`blob` : sql`bytea`;
  const big = 'bigint' as const;
  return {
    async up(db: Any) {
      await db.schema
        .createTable('principals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'integer', (c) => c.notNull())
        .addColumn('head_seq', 'integer', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('principal_links')
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('link', bin, (c) => c.notNull())
        .addPrimaryKeyConstraint('principal_links_pk', ['principal_id', 'seq'])
        .execute();
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('sig_pk', bin, (c) => c.notNull())
        .addColumn('kem_pk', bin, (c) => c.notNull())
        .addColumn('revoked_at', big)
        .execute();
      await db.schema
        .createIndex('devices_principal')
        .on('devices')
        .column('principal_id')
        .execute();
      await db.schema
        .createTable('teams')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('head_seq', 'integer', (c) => c.notNull())
        .addColumn('object_seq', big, (c) => c.notNull())
        .addColumn('bytes_used', big, (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('team_links')
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('link', bin, (c) => c.notNull())
        .addPrimaryKeyConstraint('team_links_pk', ['team_id', 'seq'])
        .execute();
      await db.schema
        .createTable('team_members')
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('role', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'principal_id'])
        .execute();
      await db.schema
        .createIndex('team_members_principal')
        .on('team_members')
        .column('principal_id')
        .execute();
      await db.schema
        .createTable('key_boxes')
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('recipient_id', 'text', (c) => c.notNull())
        .addColumn('box', bin, (c) => c.notNull())
        .addPrimaryKeyConstraint('key_boxes_pk', ['team_id', 'generation', 'recipient_id'])
        .execute();
      await db.schema
        .createTable('objects')
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('collection', 'integer', (c) => c.notNull())
        .addColumn('blind_index', 'text')
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('device', 'text', (c) => c.notNull())
        .addColumn('tombstone', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('envelope', bin, (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('objects_pk', ['team_id', 'seq'])
        .addUniqueConstraint('objects_version', ['team_id', 'object_id', 'version'])
        .execute();
      await db.schema
        .createIndex('objects_blind')
        .on('objects')
        .columns(['team_id', 'blind_index', 'version'])
        .execute();
      await db.schema
        .createTable('direct_objects')
        .addColumn('object_id', 'text', (c) => c.primaryKey())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('envelope', bin, (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('inbox')
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('acked_at', big)
        .addColumn('created_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('inbox_pk', ['principal_id', 'seq'])
        .addUniqueConstraint('inbox_object', ['principal_id', 'object_id'])
        .execute();
      await db.schema
        .createTable('inbox_state')
        .addColumn('principal_id', 'text', (c) => c.primaryKey())
        .addColumn('next_seq', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('blobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('device', 'text', (c) => c.notNull())
        .addColumn('chunk_count', 'integer')
        .addColumn('total_size', big)
        .addColumn('complete', 'integer', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('blob_chunks')
        .addColumn('blob_id', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('blob_chunks_pk', ['blob_id', 'n'])
        .execute();
      await db.schema
        .createTable('events')
        .addColumn('id', dialect === 'sqlite' ? 'integer' : 'bigserial', (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('team_id', 'text')
        .addColumn('principal_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_team').on('events').columns(['team_id', 'id']).execute();
      await db.schema
        .createIndex('events_principal')
        .on('events')
        .columns(['principal_id', 'id'])
        .execute();
      await db.schema
        .createTable('challenges')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .addColumn('used_at', big)
        .execute();
      await db.schema.createIndex('tokens_device').on('tokens').column('device_id').execute();
      await db.schema.createIndex('tokens_family').on('tokens').column('family').execute();
    },
  };
}

/**
 * Blob chunks keep the SHA-256 of their bytes, so an idempotent re-PUT is told apart from a
 * conflicting one without reading the stored file; the index serves the upload collector.
 */
const blobChunkHash: Migration = {
  async up(db: Any) {
    await db.schema
      .alterTable('blob_chunks')
      .addColumn('sha256', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema
      .createIndex('blobs_incomplete')
      .on('blobs')
      .columns(['complete', 'updated_at'])
      .execute();
  },
};

/**
 * Direct blobs (the content of a file sent to principals rather than to a team): a blob row
 * without a team (`team_id` becomes nullable), the principals allowed to read it once
 * complete, and each uploader's stored bytes of direct blobs (its quota). SQLite cannot drop
 * a NOT NULL constraint, so it rebuilds `blobs` inside one transaction; Kysely does not wrap
 * SQLite migrations in one, and every step is written so that a rerun after a crash between
 * the commit and the migration's bookkeeping row ends in the same schema.
 */
function directBlobs(dialect: Dialect): Migration {
  const big = 'bigint' as const;
  return {
    async up(db: Any) {
      const tables = async (trx: Any) => {
        await trx.schema
          .createTable('blob_readers')
          .ifNotExists()
          .addColumn('blob_id', 'text', (c) => c.notNull())
          .addColumn('principal_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('blob_readers_pk', ['blob_id', 'principal_id'])
          .execute();
        await trx.schema
          .createTable('principal_usage')
          .ifNotExists()
          .addColumn('principal_id', 'text', (c) => c.primaryKey())
          .addColumn('bytes_used', big, (c) => c.notNull())
          .execute();
      };
      if (dialect === 'postgres') {
        await sql`ALTER TABLE blobs ALTER COLUMN team_id DROP NOT NULL`.execute(db);
        await tables(db);
        return;
      }
      await db.transaction().execute(async (trx) => {
        await sql`DROP TABLE IF EXISTS blobs_0003`.execute(trx);
        await trx.schema
          .createTable('blobs_0003')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('team_id', 'text')
          .addColumn('device', 'text', (c) => c.notNull())
          .addColumn('chunk_count', 'integer')
          .addColumn('total_size', big)
          .addColumn('complete', 'integer', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
        await sql`INSERT INTO blobs_0003 (id, team_id, device, chunk_count, total_size, complete, created_at, updated_at)
          SELECT id, team_id, device, chunk_count, total_size, complete, created_at, updated_at FROM blobs`.execute(
          trx,
        );
        await sql`DROP TABLE blobs`.execute(trx);
        await sql`ALTER TABLE blobs_0003 RENAME TO blobs`.execute(trx);
        await trx.schema
          .createIndex('blobs_incomplete')
          .on('blobs')
          .columns(['complete', 'updated_at'])
          .execute();
        await tables(trx);
      });
    },
  };
}

/** Every migration, in order. Names sort lexically. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_init': init(dialect),
    '0002_blob_chunk_hash': blobChunkHash,
    '0003_direct_blobs': directBlobs(dialect),
  };
}
