/**
 * A full disk during blob writes (docs/API.md "Database outages"): the relay's data dir is
 * a small tmpfs (on SQLite it holds the database too), filled through the API: chunks until
 * one does not fit, a chunk of exactly the space left (whose commit then finds no room on
 * SQLite), then object writes until the database is refused room. Every refusal is a coded
 * 503 HUSH_ERR_UNAVAILABLE, never a 500; no temp file, partial chunk or chunk file without
 * its row is left behind; what was acknowledged stays intact; and once the
 * operator grows the disk, the refused writes are retried and a new upload completes.
 *
 * Mounting needs root (or CAP_SYS_ADMIN). Where it is refused the suite skips loudly
 * outside CI and fails under CI=true.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ERRORS } from '../src/errors.js';
import { TestClient, type Reply } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { checkListing, listAll, put, sealWrites, type Write } from './object-writes.js';
import { TestTeam } from './teams-fixture.js';

const MiB = 1024 * 1024;
const DISK = '6m';
const MORE_DISK = '32m';

/** Mounts a tmpfs of `size` on `dir`; the reason when that is not permitted. */
function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e).trim() || 'mount failed';
  }
}

const probe = new Storage('sqlite');
const cannotMount = mountTmpfs(probe.dataDir, '1m');
if (cannotMount === undefined) execFileSync('umount', [probe.dataDir]);
await probe.destroy();
if (cannotMount) {
  if (process.env.CI === 'true')
    throw new Error(`the full-disk suite needs a tmpfs mount under CI=true: ${cannotMount}`);
  console.error(`\n!!! SKIPPING the full-disk suite: cannot mount a tmpfs (${cannotMount}) !!!\n`);
}

/** Every file below `dir`, relative, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath.slice(dir.length + 1), e.name))
    .sort();
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');

/** A coded 503 for a full disk: what every refusal here must be. */
function assertFull(r: Reply, what: string): void {
  assert.equal(r.status, 503, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error?.code, 'HUSH_ERR_UNAVAILABLE', what);
  assert.equal(ERRORS.HUSH_ERR_UNAVAILABLE.status, 503);
  assert.match(String(r.body.error?.message), /full/, what);
}

for (const kind of await dialects()) {
  describe(`a full disk under blob writes (${kind})`, { skip: cannotMount !== undefined }, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let mounted = false;
    before(async () => {
      const failed = mountTmpfs(storage.dataDir, DISK);
      assert.equal(failed, undefined, failed);
      mounted = true;
      server = await spawnServer(storage, ['--rate-limit', '100000']);
    });
    after(async () => {
      await server?.stop();
      if (mounted) execFileSync('umount', [storage.dataDir]);
      await storage.destroy();
    });

    it('refuses with a coded 503, leaves nothing partial, and recovers once the disk grows', async () => {
      const alice = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      const blobsDir = join(storage.dataDir, 'blobs');
      const create = async () => {
        const r = await alice.request<{ blobId: string }>('POST', `/v1/teams/${team.id}/blobs`, {});
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.blobId;
      };
      const putChunk = (blobId: string, n: number, bytes: Uint8Array) =>
        alice.request<{ sha256: string }>('PUT', `/v1/blobs/${blobId}/chunks/${n}`, undefined, {
          raw: bytes,
        });
      const dirOf = (blobId: string) => join(blobId.slice(0, 2), blobId);
      const filler = await create();
      const acked: number[] = [];
      /** The filler's stored chunks are exactly the acknowledged ones, and nothing else is on disk. */
      const clean = async (what: string) => {
        const r = await alice.request<{ present: number[]; sizes: number[] }>(
          'GET',
          `/v1/blobs/${filler}/status`,
        );
        assert.deepEqual(r.body.present, acked, what);
        assert.deepEqual(
          files(blobsDir),
          acked.map((n) => join(dirOf(filler), String(n))).sort(),
          `${what}: no temp file, no chunk file without its row`,
        );
      };
      const putFiller = async (bytes: Uint8Array) => {
        const n = acked.length;
        const r = await putChunk(filler, n, bytes);
        if (r.status === 201) {
          assert.equal(r.body.sha256, sha(bytes));
          acked.push(n);
        } else assertFull(r, `filler chunk ${n} (${bytes.length} bytes)`);
        await clean(`after filler chunk ${n}`);
        return r.status === 201;
      };

      // 1 MiB chunks until one does not fit: refused while its body is written.
      let fitted = 0;
      while (fitted < 20 && (await putFiller(randomBytes(MiB)))) fitted++;
      assert.ok(fitted >= 2 && fitted < 20, `${fitted} chunks fitted before the disk was full`);
      // A chunk of exactly the space left: its file fits, then on SQLite the commit has no
      // room for the database (refused, and the placed file removed again).
      const { bavail, bsize } = statfsSync(storage.dataDir);
      if (bavail > 0) await putFiller(randomBytes(Math.min(bavail * bsize, 8 * MiB)));

      // Object writes until the database has no room either (on SQLite it shares the disk;
      // on PostgreSQL it does not, and every write is stored).
      const writes = await sealWrites(alice, team, kind === 'sqlite' ? 2000 : 50);
      const stored = new Map<string, Write>();
      let refusedWrite: Write | undefined;
      for (const w of writes) {
        const o = await put(alice, team.id, w);
        if (o.acked) stored.set(w.objectId, w);
        else {
          assert.match(o.error, /^503 .*HUSH_ERR_UNAVAILABLE.*full/, o.error);
          refusedWrite = w;
          break;
        }
      }
      if (kind === 'sqlite') assert.ok(refusedWrite, 'the database ran out of room');
      assert.equal(checkListing(await listAll(alice, team.id), stored).size, stored.size);
      assert.equal(server.proc.exitCode, null, 'the relay keeps running');

      // The operator adds space (on SQLite even a delete needs some): the refused writes are
      // retried and stored, the filler is deleted and a new blob completes.
      execFileSync('mount', ['-o', `remount,size=${MORE_DISK}`, storage.dataDir]);
      const del = await alice.request('DELETE', `/v1/blobs/${filler}`);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      if (refusedWrite) {
        const o = await put(alice, team.id, refusedWrite);
        assert.ok(o.acked && o.status === 201, o.acked ? '' : o.error);
        stored.set(refusedWrite.objectId, refusedWrite);
      }
      assert.equal(checkListing(await listAll(alice, team.id), stored).size, stored.size);
      const blob = await create();
      const bytes = randomBytes(3 * MiB);
      const again = await putChunk(blob, 0, bytes);
      assert.equal(again.status, 201, JSON.stringify(again.body));
      const done = await alice.request('POST', `/v1/blobs/${blob}/complete`, {
        chunkCount: 1,
        totalSize: bytes.length,
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const res = await fetch(`${server.url}/v1/blobs/${blob}`, {
        headers: { authorization: `Bearer ${alice.accessToken as string}` },
      });
      assert.equal(res.status, 200);
      assert.equal(sha(new Uint8Array(await res.arrayBuffer())), sha(bytes));
      assert.deepEqual(files(blobsDir), [join(dirOf(blob), '0')]);
    });
  });
}
