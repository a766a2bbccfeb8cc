/**
 * Crash safety of chunked uploads: SIGKILL the real server process while a chunk PUT is in
 * flight (and while a burst of PUTs is running), restart it on the same storage, and check
 * that nothing acknowledged is lost, nothing partial is visible, and the upload resumes to
 * a byte-identical blob.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { TestTeam } from './teams-fixture.js';

const MiB = 1024 * 1024;

function blobDir(storage: Storage, blobId: string): string {
  return join(storage.dataDir, 'blobs', blobId.slice(0, 2), blobId);
}

function put(c: TestClient, blobId: string, n: number, bytes: Uint8Array) {
  return c.request('PUT', `/v1/blobs/${blobId}/chunks/${n}`, undefined, { raw: bytes });
}

async function present(c: TestClient, blobId: string): Promise<number[]> {
  const r = await c.request<{ present: number[] }>('GET', `/v1/blobs/${blobId}/status`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.present;
}

async function download(c: TestClient, blobId: string): Promise<Uint8Array> {
  const res = await fetch(`${c.url}/v1/blobs/${blobId}`, {
    headers: { authorization: `Bearer ${c.accessToken}` },
  });
  assert.equal(res.status, 200);
  return new Uint8Array(await res.arrayBuffer());
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Starts a PUT that declares `total` bytes but sends only `sent` of them, and resolves once
 * the server has started writing the body to its temp file: the request is then certainly
 * in flight and certainly not acknowledged.
 */
async function stalledPut(
  c: TestClient,
  storage: Storage,
  blobId: string,
  n: number,
  total: number,
  sent: Uint8Array,
): Promise<void> {
  const req = httpRequest(`${c.url}/v1/blobs/${blobId}/chunks/${n}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${c.accessToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(total),
    },
  });
  req.on('error', () => undefined);
  req.write(sent);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const tmp = readdirSync(blobDir(storage, blobId), { withFileTypes: true }).find(
      (e) => e.name.startsWith(`.tmp-${n}-`) && e.isFile(),
    );
    if (tmp && statSync(join(blobDir(storage, blobId), tmp.name)).size > 0) return;
    if (Date.now() > deadline) throw new Error('the stalled chunk never reached the server');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The same device, signed in with the same (persisted) token, against the restarted server. */
function reconnect(c: TestClient, url: string): TestClient {
  const again = new TestClient(url, c.device);
  again.state = c.state;
  again.links = c.links;
  again.accessToken = c.accessToken;
  again.refreshToken = c.refreshToken;
  return again;
}

for (const kind of await dialects()) {
  describe(`blob upload crash safety (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess | undefined;
    after(async () => {
      await server?.stop();
      await storage.destroy();
    });

    it('SIGKILL during chunk uploads: acknowledged chunks survive, nothing partial shows, the upload resumes', async (t) => {
      server = await spawnServer(storage);
      const alice = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);

      // Blob A: chunks 0 and 2 acknowledged, chunk 1 (4 MiB) stalled a quarter of the way in.
      const a = [randomBytes(MiB), randomBytes(4 * MiB), randomBytes(MiB), randomBytes(12_345)];
      const aId = (
        await alice.request<{ blobId: string }>('POST', `/v1/teams/${team.id}/blobs`, {})
      ).body.blobId;
      for (const n of [0, 2]) assert.equal((await put(alice, aId, n, a[n] as Buffer)).status, 201);
      const a1 = a[1] as Buffer;
      await stalledPut(alice, storage, aId, 1, a1.length, a1.subarray(0, MiB));

      // Blob B: a burst of concurrent PUTs, the server killed after the first three acks.
      const b = Array.from({ length: 8 }, () => randomBytes(256 * 1024));
      const bId = (
        await alice.request<{ blobId: string }>('POST', `/v1/teams/${team.id}/blobs`, {})
      ).body.blobId;
      const acked: number[] = [];
      let killed: Promise<void> | undefined;
      const burst = b.map((bytes, n) =>
        put(alice, bId, n, bytes).then(
          (r) => {
            if (r.status === 201) acked.push(n);
            if (acked.length === 3 && !killed) killed = server?.kill();
          },
          () => undefined,
        ),
      );
      await Promise.all(burst);
      if (!killed) killed = server.kill();
      await killed;

      server = await spawnServer(storage);
      const alice2 = reconnect(alice, server.url);

      assert.deepEqual(await present(alice2, aId), [0, 2], 'exactly the acknowledged chunks');
      const bPresent = await present(alice2, bId);
      t.diagnostic(`burst: ${acked.length} acknowledged, ${bPresent.length} present after restart`);
      for (const n of acked) assert.ok(bPresent.includes(n), `acknowledged chunk ${n} survived`);

      // Resume both uploads: only what the status says is missing.
      for (const n of [1, 3]) assert.equal((await put(alice2, aId, n, a[n] as Buffer)).status, 201);
      for (const [n, bytes] of b.entries()) {
        const r = await put(alice2, bId, n, bytes);
        // A chunk committed just before the kill, but never acknowledged, is simply there.
        assert.equal(r.status, bPresent.includes(n) ? 200 : 201, `chunk ${n}`);
      }
      const aWhole = Buffer.concat(a);
      const bWhole = Buffer.concat(b);
      for (const [id, whole, count] of [
        [aId, aWhole, a.length],
        [bId, bWhole, b.length],
      ] as const) {
        const done = await alice2.request('POST', `/v1/blobs/${id}/complete`, {
          chunkCount: count,
          totalSize: whole.length,
        });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(sha(await download(alice2, id)), sha(whole), 'byte-identical download');
        // No temp file of the killed request is left, and no file is there that is not a chunk.
        const names = readdirSync(blobDir(storage, id)).sort((x, y) => Number(x) - Number(y));
        assert.deepEqual(
          names,
          Array.from({ length: count }, (_, i) => String(i)),
        );
        for (let n = 0; n < count; n++)
          assert.equal(
            statSync(join(blobDir(storage, id), String(n))).size,
            (id === aId ? a : b)[n]?.length,
          );
      }
    });
  });
}
