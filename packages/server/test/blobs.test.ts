import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROLE } from '@hush/core';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { TestClient, type Reply } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { TestTeam } from './teams-fixture.js';

/** One sealed STREAM chunk (64 KiB plaintext + 16-byte tag). */
const SEALED = 65_552;
const MAX_CHUNK = 4 * SEALED;
const QUOTA = 2_000_000;

interface Status {
  complete: boolean;
  present: number[];
  sizes: number[];
  chunkCount: number | null;
  totalSize: number | null;
}

async function newBlob(c: TestClient, teamId: string, blobId?: string): Promise<string> {
  const r = await c.request<{ blobId: string }>(
    'POST',
    `/v1/teams/${teamId}/blobs`,
    blobId ? { blobId } : {},
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.blobId;
}

function put(c: TestClient, blobId: string, n: number | string, bytes: Uint8Array): Promise<Reply> {
  return c.request('PUT', `/v1/blobs/${blobId}/chunks/${n}`, undefined, { raw: bytes });
}

/** A PUT whose body is a stream (no Content-Length), so the server only learns the size by reading. */
async function putStreamed(c: TestClient, blobId: string, n: number, bytes: Uint8Array) {
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      for (let off = 0; off < bytes.length; off += 65_536)
        ctl.enqueue(bytes.subarray(off, off + 65_536));
      ctl.close();
    },
  });
  const res = await fetch(`${c.url}/v1/blobs/${blobId}/chunks/${n}`, {
    method: 'PUT',
    body,
    duplex: 'half',
    headers: {
      authorization: `Bearer ${c.accessToken}`,
      'content-type': 'application/octet-stream',
    },
  } as RequestInit);
  const json = (await res.json()) as Reply['body'];
  return { status: res.status, body: json };
}

async function status(c: TestClient, blobId: string): Promise<Reply<Status>> {
  return c.request<Status>('GET', `/v1/blobs/${blobId}/status`);
}

function complete(c: TestClient, blobId: string, chunkCount: number, totalSize: number) {
  return c.request('POST', `/v1/blobs/${blobId}/complete`, { chunkCount, totalSize });
}

async function download(c: TestClient, blobId: string, range?: string) {
  const res = await fetch(`${c.url}/v1/blobs/${blobId}`, {
    headers: { authorization: `Bearer ${c.accessToken}`, ...(range ? { range } : {}) },
  });
  return {
    status: res.status,
    headers: res.headers,
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

/** The events the server appended for a team, read straight from its database. */
async function teamEvents(
  storage: Storage,
  teamId: string,
): Promise<{ type: string; data: string }[]> {
  const q = 'select type, data from events where team_id = $1 order by id';
  if (storage.kind === 'sqlite') {
    const db = new SQLite(join(storage.dataDir, 'hush.db'), { readonly: true });
    try {
      return db.prepare(q.replace('$1', '?')).all(teamId) as { type: string; data: string }[];
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: (await storage.env()).DATABASE_URL });
  await c.connect();
  try {
    return (await c.query<{ type: string; data: string }>(q, [teamId])).rows;
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

for (const kind of await dialects()) {
  describe(`blobs (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let owner: TestClient;
    let writer: TestClient;
    let reader: TestClient;
    let outsider: TestClient;
    let team: TestTeam;
    before(async () => {
      server = await spawnServer(storage, [
        '--max-chunk-bytes',
        String(MAX_CHUNK),
        '--team-quota-bytes',
        String(QUOTA),
      ]);
      [owner, writer, reader, outsider] = (await Promise.all(
        [0, 1, 2, 3].map(() => TestClient.create(server.url)),
      )) as [TestClient, TestClient, TestClient, TestClient];
      team = await TestTeam.create(owner);
      assert.equal((await team.add(owner, writer, ROLE.writer)).status, 200);
      assert.equal((await team.add(owner, reader, ROLE.reader)).status, 200);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('uploads chunks out of order, completes, and downloads byte-identical (whole and by Range)', async () => {
      const chunks = [randomBytes(2 * SEALED), randomBytes(2 * SEALED), randomBytes(12_345)];
      const whole = concat(chunks);
      const id = await newBlob(writer, team.id);
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      for (const n of [2, 0])
        assert.equal((await put(writer, id, n, chunks[n] as Uint8Array)).status, 201);
      const mid = await status(writer, id);
      assert.equal(mid.status, 200);
      assert.deepEqual(
        { complete: mid.body.complete, present: mid.body.present, sizes: mid.body.sizes },
        { complete: false, present: [0, 2], sizes: [2 * SEALED, 12_345] },
      );
      assert.equal((await put(writer, id, 1, chunks[1] as Uint8Array)).status, 201);
      const done = await complete(writer, id, 3, whole.length);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(done.body, {
        blobId: id,
        complete: true,
        chunkCount: 3,
        totalSize: whole.length,
      });
      assert.equal(
        (await complete(writer, id, 3, whole.length)).status,
        200,
        'complete is idempotent',
      );
      const events = (await teamEvents(storage, team.id)).filter((e) => e.type === 'blob');
      assert.deepEqual(
        events.map((e) => JSON.parse(e.data) as unknown),
        [{ blobId: id }],
      );
      const st = await status(reader, id);
      assert.deepEqual(
        [st.body.complete, st.body.present, st.body.chunkCount, st.body.totalSize],
        [true, [0, 1, 2], 3, whole.length],
      );

      const full = await download(reader, id);
      assert.equal(full.status, 200);
      assert.equal(full.headers.get('content-length'), String(whole.length));
      assert.equal(full.headers.get('accept-ranges'), 'bytes');
      assert.deepEqual(full.bytes, whole);

      const from = 2 * SEALED + 1_000; // inside chunk 1
      const tail = await download(owner, id, `bytes=${from}-`);
      assert.equal(tail.status, 206);
      assert.equal(
        tail.headers.get('content-range'),
        `bytes ${from}-${whole.length - 1}/${whole.length}`,
      );
      assert.deepEqual(tail.bytes, whole.subarray(from));
      const span = await download(owner, id, `bytes=10-${4 * SEALED + 9}`);
      assert.equal(span.status, 206);
      assert.deepEqual(span.bytes, whole.subarray(10, 4 * SEALED + 10));
      const beyond = await download(owner, id, `bytes=${whole.length}-`);
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers.get('content-range'), `bytes */${whole.length}`);
    });

    it('re-PUT of identical bytes is 200; different bytes are a conflict; a complete blob is immutable', async () => {
      const a = randomBytes(5_000);
      const id = await newBlob(writer, team.id);
      assert.equal((await put(writer, id, 0, a)).status, 201);
      const again = await put(writer, id, 0, a);
      assert.equal(again.status, 200);
      const other = Buffer.from(a);
      other[17] = (other[17] as number) ^ 1;
      for (const r of [
        await put(writer, id, 0, other),
        await put(writer, id, 0, randomBytes(10)),
      ]) {
        assert.equal(r.status, 409);
        assert.equal(r.body.error?.code, 'HUSH_ERR_CONFLICT');
      }
      const streamedSame = await putStreamed(writer, id, 0, a);
      assert.equal(streamedSame.status, 200);
      assert.equal((await complete(writer, id, 1, a.length)).status, 200);
      assert.equal(
        (await put(writer, id, 0, a)).status,
        200,
        'retrying an acknowledged chunk stays fine',
      );
      const late = await put(writer, id, 1, randomBytes(10));
      assert.equal(late.body.error?.code, 'HUSH_ERR_CONFLICT');
      const resize = await complete(writer, id, 1, a.length + 1);
      assert.equal(resize.body.error?.code, 'HUSH_ERR_CONFLICT');
      assert.deepEqual((await download(writer, id)).bytes, new Uint8Array(a));
    });

    it('an incomplete blob is invisible to everyone but its uploader', async () => {
      const id = await newBlob(writer, team.id);
      assert.equal((await put(writer, id, 0, randomBytes(100))).status, 201);
      for (const c of [owner, reader, outsider]) {
        assert.equal((await status(c, id)).body.error?.code, 'HUSH_ERR_NOT_FOUND');
        const d = await download(c, id);
        assert.equal(d.status, 404);
        assert.equal((await put(c, id, 1, randomBytes(10))).status, 404);
      }
      assert.equal((await owner.request('DELETE', `/v1/blobs/${id}`)).status, 404);
      const mine = await download(writer, id);
      assert.equal(mine.status, 409, 'the uploader is told it is not complete yet');
      assert.equal((await status(writer, id)).status, 200);
    });

    it('complete names what is missing: absent chunk, chunk beyond the count, wrong total size', async () => {
      const id = await newBlob(writer, team.id);
      const sizes = [300, 200, 100];
      for (const n of [0, 2])
        assert.equal((await put(writer, id, n, randomBytes(sizes[n] as number))).status, 201);
      const missing = await complete(writer, id, 3, 600);
      assert.equal(missing.status, 409);
      assert.equal(missing.body.error?.code, 'HUSH_ERR_BLOB_INCOMPLETE');
      assert.deepEqual((missing.body.error as unknown as { missing: number[] }).missing, [1]);
      assert.match(missing.body.error?.message ?? '', /missing/);
      assert.equal((await put(writer, id, 1, randomBytes(200))).status, 201);
      const surplus = await complete(writer, id, 2, 500);
      assert.equal(surplus.body.error?.code, 'HUSH_ERR_BLOB_INCOMPLETE');
      assert.deepEqual((surplus.body.error as unknown as { surplus: number[] }).surplus, [2]);
      const size = await complete(writer, id, 3, 601);
      assert.equal(size.body.error?.code, 'HUSH_ERR_BLOB_INCOMPLETE');
      assert.equal((await status(writer, id)).body.complete, false);
      assert.equal((await complete(writer, id, 3, 600)).status, 200);
    });

    it('readers cannot upload, non-members see 404, requests without a token are 401', async () => {
      const r = await reader.request('POST', `/v1/teams/${team.id}/blobs`, {});
      assert.equal(r.status, 403);
      assert.equal(r.body.error?.code, 'HUSH_ERR_FORBIDDEN');
      const o = await outsider.request('POST', `/v1/teams/${team.id}/blobs`, {});
      assert.equal(o.status, 404);
      const id = await newBlob(owner, team.id);
      assert.equal((await put(owner, id, 0, randomBytes(64))).status, 201);
      assert.equal((await complete(owner, id, 1, 64)).status, 200);
      assert.equal((await download(reader, id)).status, 200, 'readers read complete blobs');
      assert.equal((await status(outsider, id)).status, 404);
      assert.equal((await download(outsider, id)).status, 404);
      assert.equal((await outsider.request('DELETE', `/v1/blobs/${id}`)).status, 404);
      assert.equal((await reader.request('DELETE', `/v1/blobs/${id}`)).status, 403);
      assert.equal(
        (await writer.request('DELETE', `/v1/blobs/${id}`)).status,
        403,
        'not the uploader',
      );
      const anon = await owner.request('GET', `/v1/blobs/${id}/status`, undefined, { auth: false });
      assert.equal(anon.status, 401);
      const unknown = await status(owner, randomBytes(16).toString('base64url'));
      assert.equal(unknown.status, 404);
    });

    it('validates ids, chunk indexes, bodies and figures with 400', async () => {
      const id = await newBlob(writer, team.id);
      const cases: Reply[] = [
        await writer.request('POST', `/v1/teams/${team.id}/blobs`, { blobId: 'short' }),
        await writer.request('POST', `/v1/teams/${team.id}/blobs`, { blobId: 7 }),
        await put(writer, id, '01', randomBytes(10)),
        await put(writer, id, '-1', randomBytes(10)),
        await put(writer, id, 99_999_999, randomBytes(10)),
        await put(writer, id, 0, new Uint8Array(0)),
        await writer.request('PUT', `/v1/blobs/${id}/chunks/0`, { not: 'octets' }),
        await complete(writer, id, 0, 10),
        await writer.request('POST', `/v1/blobs/${id}/complete`, {
          chunkCount: '1',
          totalSize: 10,
        }),
        await writer.request('GET', '/v1/blobs/not-an-id/status'),
      ];
      for (const r of cases)
        assert.equal(r.body.error?.code, 'HUSH_ERR_BAD_REQUEST', JSON.stringify(r.body));
      assert.deepEqual((await status(writer, id)).body.present, []);
    });

    it('a client-chosen id is idempotent for its uploader and a conflict for anyone else', async () => {
      const id = randomBytes(16).toString('base64url');
      assert.equal(await newBlob(writer, team.id, id), id);
      const again = await writer.request('POST', `/v1/teams/${team.id}/blobs`, { blobId: id });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { blobId: id, complete: false });
      const other = await owner.request('POST', `/v1/teams/${team.id}/blobs`, { blobId: id });
      assert.equal(other.body.error?.code, 'HUSH_ERR_CONFLICT');
    });

    it('a chunk above the limit is 413, with or without Content-Length, and leaves nothing behind', async () => {
      const id = await newBlob(writer, team.id);
      const big = randomBytes(MAX_CHUNK + 1);
      const r = await put(writer, id, 0, big);
      assert.equal(r.status, 413);
      assert.equal(r.body.error?.code, 'HUSH_ERR_BODY_TOO_LARGE');
      const s = await putStreamed(writer, id, 0, big);
      assert.equal(s.status, 413);
      assert.equal(
        (await put(writer, id, 0, randomBytes(MAX_CHUNK))).status,
        201,
        'the limit itself fits',
      );
      assert.deepEqual((await status(writer, id)).body.present, [0]);
    });

    it('a client hanging up mid-chunk leaves neither a chunk nor a temp file', async () => {
      const id = await newBlob(writer, team.id);
      const dir = join(storage.dataDir, 'blobs', id.slice(0, 2), id);
      const req = httpRequest(`${server.url}/v1/blobs/${id}/chunks/0`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${writer.accessToken}`,
          'content-type': 'application/octet-stream',
          'content-length': String(MAX_CHUNK),
        },
      });
      req.on('error', () => undefined);
      req.write(randomBytes(SEALED));
      const deadline = Date.now() + 15_000;
      const tmps = () =>
        existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('.tmp-')) : [];
      while (tmps().length === 0 && Date.now() < deadline) await sleep(20);
      assert.equal(tmps().length, 1, 'the body reached a temp file');
      req.destroy();
      while (tmps().length > 0 && Date.now() < deadline) await sleep(20);
      assert.deepEqual(tmps(), []);
      assert.deepEqual((await status(writer, id)).body.present, []);
      assert.ok(!server.stderr.join('').includes('"level":50'), 'no error logged for a hang-up');
    });

    it('enforces the team quota (507) on declared and streamed bodies, and delete gives it back', async () => {
      const t = await TestTeam.create(owner, 'quota');
      const id = await newBlob(owner, t.id);
      const per = MAX_CHUNK;
      const fit = Math.floor(QUOTA / per);
      for (let n = 0; n < fit; n++)
        assert.equal((await put(owner, id, n, randomBytes(per))).status, 201);
      const over = await put(owner, id, fit, randomBytes(per));
      assert.equal(over.status, 507);
      assert.equal(over.body.error?.code, 'HUSH_ERR_QUOTA_EXCEEDED');
      const streamed = await putStreamed(owner, id, fit, randomBytes(per));
      assert.equal(streamed.status, 507);
      const st = await status(owner, id);
      assert.equal(st.body.present.length, fit);
      assert.ok(
        !existsSync(join(storage.dataDir, 'blobs', id.slice(0, 2), id, String(fit))),
        'a refused chunk leaves no file',
      );
      const other = await newBlob(owner, t.id);
      assert.equal((await put(owner, other, 0, randomBytes(per))).status, 507);
      const del = await owner.request('DELETE', `/v1/blobs/${id}`);
      assert.equal(del.status, 200);
      assert.equal((del.body as { freedBytes: number }).freedBytes, fit * per);
      assert.ok(!existsSync(join(storage.dataDir, 'blobs', id.slice(0, 2), id)));
      assert.equal((await status(owner, id)).status, 404);
      assert.equal((await put(owner, other, 0, randomBytes(per))).status, 201, 'quota freed');
    });

    it('the uploader deletes its own blob; an admin deletes any complete blob', async () => {
      const mine = await newBlob(writer, team.id);
      assert.equal((await put(writer, mine, 0, randomBytes(10))).status, 201);
      assert.equal((await writer.request('DELETE', `/v1/blobs/${mine}`)).status, 200, 'incomplete');
      const theirs = await newBlob(writer, team.id);
      assert.equal((await put(writer, theirs, 0, randomBytes(10))).status, 201);
      assert.equal((await complete(writer, theirs, 1, 10)).status, 200);
      assert.equal((await owner.request('DELETE', `/v1/blobs/${theirs}`)).status, 200);
      assert.equal((await download(writer, theirs)).status, 404);
      assert.equal((await writer.request('DELETE', `/v1/blobs/${theirs}`)).status, 404);
    });
  });

  describe(`upload collection (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    // Left by a crash between a delete's commit and the removal of its files.
    const orphan = randomBytes(16).toString('base64url');
    const orphanDir = join(storage.dataDir, 'blobs', orphan.slice(0, 2), orphan);
    const stranger = join(storage.dataDir, 'blobs', 'zz', 'not-a-blob');
    before(async () => {
      for (const d of [orphanDir, stranger]) {
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, '0'), 'x');
        const old = new Date(Date.now() - 3_600_000);
        utimesSync(d, old, old);
      }
      server = await spawnServer(storage, [
        '--upload-gc-seconds',
        '1',
        '--team-quota-bytes',
        '300000',
      ]);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('deletes an idle incomplete upload with its files and quota, and keeps complete blobs', async () => {
      const alice = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      const kept = await newBlob(alice, team.id);
      const small = randomBytes(1_000);
      assert.equal((await put(alice, kept, 0, small)).status, 201);
      assert.equal((await complete(alice, kept, 1, small.length)).status, 200);
      const idle = await newBlob(alice, team.id);
      assert.equal((await put(alice, idle, 0, randomBytes(200_000))).status, 201);
      const dir = join(storage.dataDir, 'blobs', idle.slice(0, 2), idle);
      assert.ok(existsSync(dir));
      // Bounded wait: the collector runs every 250 ms and takes uploads idle for over 1 s.
      const deadline = Date.now() + 20_000;
      while (
        ((await status(alice, idle)).status !== 404 || existsSync(dir)) &&
        Date.now() < deadline
      )
        await sleep(200);
      assert.equal((await status(alice, idle)).status, 404, 'the idle upload was collected');
      assert.ok(!existsSync(dir), 'its files are gone');
      assert.deepEqual((await download(alice, kept)).bytes, new Uint8Array(small));
      while (existsSync(orphanDir) && Date.now() < deadline) await sleep(200);
      assert.ok(!existsSync(orphanDir), 'an orphan blob directory is swept');
      assert.ok(existsSync(stranger), 'what does not look like a blob is left alone');
      const next = await newBlob(alice, team.id);
      assert.equal(
        (await put(alice, next, 0, randomBytes(250_000))).status,
        201,
        'quota was freed',
      );
    });
  });
}
