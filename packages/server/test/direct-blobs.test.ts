/**
 * Direct blobs (`POST /v1/blobs`): a blob with no team, readable once complete by the
 * principals named at creation. Every blob route of the route table is called on a direct
 * blob by its uploader, a reader and a non-reader, before and after completion: a
 * non-reader (and a reader while incomplete) gets 404 exactly as a non-member does for a
 * team blob, a reader reads and is refused writes (403). Creation is idempotent and its
 * conflicts are coded; the uploader's direct-blob quota is charged and given back; a
 * database from before migration 0003 migrates forward with its blobs intact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toBase64url } from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { migrations } from '../src/db/migrations.js';
import { openApiDocument } from '../src/openapi.js';
import { TestClient, type Reply } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { DbPeek, operationOf, ROUTES, routeKey, schemaErrors } from './routes.js';
import { TestTeam } from './teams-fixture.js';

const doc = openApiDocument();
const CHUNK = new Uint8Array(200).fill(5);
const QUOTA = 50_000;
/** A complete team blob written by the previous release, before migration 0003. */
const OLD = { id: toBase64url(b.randomBytes(16)), team: toBase64url(b.randomBytes(32)) };

type Who = 'uploader' | 'reader' | 'outsider';
type Phase = 'incomplete' | 'complete';

/** Each blob route's expected status, by caller and phase. */
const EXPECT: Record<string, Record<Phase, Record<Who, number>>> = {
  [routeKey('PUT', '/v1/blobs/:blobId/chunks/:n')]: {
    incomplete: { uploader: 201, reader: 404, outsider: 404 },
    complete: { uploader: 200, reader: 403, outsider: 404 },
  },
  [routeKey('GET', '/v1/blobs/:blobId/status')]: {
    incomplete: { uploader: 200, reader: 404, outsider: 404 },
    complete: { uploader: 200, reader: 200, outsider: 404 },
  },
  [routeKey('POST', '/v1/blobs/:blobId/complete')]: {
    incomplete: { uploader: 200, reader: 404, outsider: 404 },
    complete: { uploader: 200, reader: 403, outsider: 404 },
  },
  [routeKey('GET', '/v1/blobs/:blobId')]: {
    incomplete: { uploader: 409, reader: 404, outsider: 404 },
    complete: { uploader: 200, reader: 200, outsider: 404 },
  },
  [routeKey('HEAD', '/v1/blobs/:blobId')]: {
    incomplete: { uploader: 409, reader: 404, outsider: 404 },
    complete: { uploader: 200, reader: 200, outsider: 404 },
  },
  [routeKey('DELETE', '/v1/blobs/:blobId')]: {
    incomplete: { uploader: 200, reader: 404, outsider: 404 },
    complete: { uploader: 200, reader: 403, outsider: 404 },
  },
};

const CODE: Record<number, string> = {
  403: 'HUSH_ERR_FORBIDDEN',
  404: 'HUSH_ERR_NOT_FOUND',
  409: 'HUSH_ERR_BLOB_INCOMPLETE',
};

/** A route table path filled for one blob, with the request the route needs. */
function call(c: TestClient, method: string, path: string, blobId: string): Promise<Reply> {
  const p = path.replace(':blobId', blobId).replace(':n', '0');
  if (method === 'PUT') return c.request(method, p, undefined, { raw: CHUNK });
  if (path.endsWith('/complete'))
    return c.request(method, p, { chunkCount: 1, totalSize: CHUNK.length });
  return c.request(method, p);
}

/** Runs migrations 0001..0002 only, as a server of the previous release left the database. */
async function migrateToPrevious(storage: Storage): Promise<Kysely<unknown>> {
  let db: Kysely<unknown>;
  if (storage.kind === 'sqlite') {
    mkdirSync(storage.dataDir, { recursive: true });
    db = new Kysely({
      dialect: new SqliteDialect({ database: new SQLite(join(storage.dataDir, 'hush.db')) }),
    });
  } else {
    const url = (await storage.env()).DATABASE_URL as string;
    db = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
    });
  }
  const all = migrations(storage.kind);
  const previous = Object.fromEntries(Object.entries(all).filter(([k]) => k < '0003'));
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => previous },
  }).migrateToLatest();
  assert.equal(error, undefined);
  return db;
}

for (const kind of await dialects()) {
  describe(`direct blobs (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let alice: TestClient; // uploader
    let bob: TestClient; // reader
    let dave: TestClient; // neither
    let team: TestTeam;
    const as: Record<Who, () => TestClient> = {
      uploader: () => alice,
      reader: () => bob,
      outsider: () => dave,
    };

    async function newDirect(readers = [bob.id], by = alice): Promise<string> {
      const blobId = toBase64url(b.randomBytes(16));
      const r = await by.request('POST', '/v1/blobs', { blobId, readers });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return blobId;
    }

    /** A direct blob in a phase; an incomplete one holds its chunk unless `empty`. */
    async function blobIn(phase: Phase, empty = false): Promise<string> {
      const id = await newDirect();
      if (empty) return id;
      assert.equal((await call(alice, 'PUT', '/v1/blobs/:blobId/chunks/:n', id)).status, 201);
      if (phase === 'incomplete') return id;
      const done = await call(alice, 'POST', '/v1/blobs/:blobId/complete', id);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      return id;
    }
    const completed = () => blobIn('complete');

    before(async () => {
      // A database from the previous release, with a complete team blob in it.
      const old = await migrateToPrevious(storage);
      await sql`INSERT INTO blobs (id, team_id, device, chunk_count, total_size, complete, created_at, updated_at)
        VALUES (${OLD.id}, ${OLD.team}, 'dev', 1, 200, 1, 1, 2)`.execute(old);
      await sql`INSERT INTO blob_chunks (blob_id, n, size, sha256) VALUES (${OLD.id}, 0, 200, 'x')`.execute(
        old,
      );
      await old.destroy();
      server = await spawnServer(storage, ['--direct-quota-bytes', String(QUOTA)]);
      [alice, bob, dave] = (await Promise.all(
        [0, 1, 2].map(() => TestClient.create(server.url)),
      )) as [TestClient, TestClient, TestClient];
      team = await TestTeam.create(alice);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('covers every blob route of the route table', () => {
      const blobRoutes = ROUTES.filter((r) => r.scope === 'blob').map((r) =>
        routeKey(r.method, r.path),
      );
      assert.deepEqual(Object.keys(EXPECT).sort(), blobRoutes.sort());
    });

    for (const row of ROUTES.filter((r) => r.scope === 'blob'))
      for (const phase of ['incomplete', 'complete'] as const)
        it(`${row.method} ${row.path} on a ${phase} direct blob`, async () => {
          const want = EXPECT[routeKey(row.method, row.path)]?.[phase];
          assert.ok(want);
          // Callers that must be refused go first, so the uploader's call (which may
          // complete or delete the blob) cannot change what they see.
          for (const who of ['outsider', 'reader', 'uploader'] as const) {
            // The uploader's first PUT to an incomplete blob is the one that stores chunk 0.
            const blobId = await blobIn(phase, phase === 'incomplete' && row.method === 'PUT');
            const r = await call(as[who](), row.method, row.path, blobId);
            const where = `${row.method} ${row.path} (${who}, ${phase})`;
            assert.equal(r.status, want[who], `${where}: ${JSON.stringify(r.body)}`);
            if (r.status >= 400 && row.method !== 'HEAD') {
              assert.equal(r.body.error?.code, CODE[r.status], where);
              const op = operationOf(doc, row.method, row.path) as {
                responses: Record<string, { 'x-hush-error-codes'?: string[] }>;
              };
              assert.ok(
                op.responses[String(r.status)]?.['x-hush-error-codes']?.includes(
                  CODE[r.status] as string,
                ),
                `${where}: documented`,
              );
            }
          }
        });

    it('answers the status of a direct blob with no team and its readers, as documented', async () => {
      const id = await completed();
      const r = await bob.request('GET', `/v1/blobs/${id}/status`);
      assert.equal(r.status, 200);
      assert.equal(r.body.teamId, null);
      assert.deepEqual(r.body.readers, [bob.id]);
      const op = operationOf(doc, 'GET', '/v1/blobs/:blobId/status') as {
        responses: Record<string, { content: { 'application/json': { schema: object } } }>;
      };
      const schema = op.responses['200']?.content['application/json'].schema as Record<
        string,
        unknown
      >;
      assert.deepEqual(schemaErrors(doc, schema, r.body), []);
      const bytes = await fetch(`${server.url}/v1/blobs/${id}`, {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
      assert.deepEqual(new Uint8Array(await bytes.arrayBuffer()), CHUNK);
    });

    it('is idempotent by id, and refuses a taken id, unknown or repeated readers, no id', async () => {
      const blobId = toBase64url(b.randomBytes(16));
      const body = { blobId, readers: [bob.id, dave.id] };
      assert.equal((await alice.request('POST', '/v1/blobs', body)).status, 201);
      const again = await alice.request('POST', '/v1/blobs', {
        blobId,
        readers: [dave.id, bob.id],
      });
      assert.equal(again.status, 200, 'the same readers in another order');
      const code = async (c: TestClient, bd: unknown) => {
        const r = await c.request('POST', '/v1/blobs', bd);
        return `${r.status} ${r.body.error?.code ?? ''}`;
      };
      assert.equal(await code(alice, { blobId, readers: [bob.id] }), '409 HUSH_ERR_CONFLICT');
      assert.equal(await code(bob, body), '409 HUSH_ERR_CONFLICT');
      const teamBlob = toBase64url(b.randomBytes(16));
      assert.equal(
        (await alice.request('POST', `/v1/teams/${team.id}/blobs`, { blobId: teamBlob })).status,
        201,
      );
      assert.equal(
        await code(alice, { blobId: teamBlob, readers: [bob.id] }),
        '409 HUSH_ERR_CONFLICT',
      );
      const fresh = () => toBase64url(b.randomBytes(16));
      const stranger = toBase64url(b.randomBytes(32));
      assert.equal(
        await code(alice, { blobId: fresh(), readers: [stranger] }),
        '404 HUSH_ERR_NOT_FOUND',
      );
      for (const bad of [
        { blobId: fresh(), readers: [bob.id, bob.id] },
        { blobId: fresh(), readers: [] },
        { blobId: fresh(), readers: Array(1001).fill(bob.id) },
        { blobId: fresh(), readers: 'x' },
        { readers: [bob.id] },
        { blobId: fresh() },
      ])
        assert.equal(await code(alice, bad), '400 HUSH_ERR_BAD_REQUEST', JSON.stringify(bad));
    });

    it("charges the uploader's direct quota, never a team's, and gives it back on delete", async () => {
      const peek = await DbPeek.open(storage);
      const usage = async () =>
        Number(
          (
            await peek.query<{ bytes_used: unknown }>(
              'SELECT bytes_used FROM principal_usage WHERE principal_id = ?',
              [dave.id],
            )
          )[0]?.bytes_used ?? 0,
        );
      const teamBytes = async () =>
        (await peek.query<{ bytes_used: unknown }>('SELECT bytes_used FROM teams')).map((r) =>
          Number(r.bytes_used),
        );
      try {
        const teamsBefore = await teamBytes();
        const id = await newDirect([bob.id], dave);
        const big = new Uint8Array(QUOTA - 100).fill(1);
        const put = (n: number, bytes: Uint8Array) =>
          dave.request('PUT', `/v1/blobs/${id}/chunks/${n}`, undefined, { raw: bytes });
        assert.equal((await put(0, big)).status, 201);
        assert.equal(await usage(), big.length);
        const over = await put(1, new Uint8Array(200));
        assert.equal(over.status, 507);
        assert.equal(over.body.error?.code, 'HUSH_ERR_QUOTA_EXCEEDED');
        assert.match(over.body.error?.message ?? '', /direct files/);
        assert.deepEqual(await teamBytes(), teamsBefore, 'no team was charged');
        const del = await dave.request('DELETE', `/v1/blobs/${id}`);
        assert.equal(del.status, 200);
        assert.equal(del.body.freedBytes, big.length);
        assert.equal(await usage(), 0);
      } finally {
        await peek.close();
      }
    });

    it('migrated forward: blobs keep working and team blobs still charge their team', async () => {
      const peek = await DbPeek.open(storage);
      try {
        const names = (await peek.query<{ name: string }>('SELECT name FROM kysely_migration')).map(
          (r) => r.name,
        );
        assert.deepEqual(names.sort(), ['0001_init', '0002_blob_chunk_hash', '0003_direct_blobs']);
        const kept = await peek.query<Record<string, unknown>>(
          'SELECT team_id, device, chunk_count, total_size, complete, created_at, updated_at FROM blobs WHERE id = ?',
          [OLD.id],
        );
        assert.deepEqual(
          kept.map((r) => Object.values(r).map(String)),
          [[OLD.team, 'dev', '1', '200', '1', '1', '2']],
        );
        const id = toBase64url(b.randomBytes(16));
        assert.equal(
          (await alice.request('POST', `/v1/teams/${team.id}/blobs`, { blobId: id })).status,
          201,
        );
        assert.equal(
          (await alice.request('PUT', `/v1/blobs/${id}/chunks/0`, undefined, { raw: CHUNK }))
            .status,
          201,
        );
        const row = await peek.query<{ bytes_used: unknown }>(
          'SELECT bytes_used FROM teams WHERE id = ?',
          [team.id],
        );
        assert.ok(Number(row[0]?.bytes_used) >= CHUNK.length);
        const st = await bob.request('GET', `/v1/blobs/${id}/status`);
        assert.equal(st.status, 404, 'a non-member of the team still sees nothing');
        const own = await alice.request('GET', `/v1/blobs/${id}/status`);
        assert.equal(own.body.teamId, team.id);
        assert.equal('readers' in own.body, false);
      } finally {
        await peek.close();
      }
    });
  });
}
