/**
 * Interrupted transfers resume: the hush process is SIGKILLed in the middle of an upload and
 * of a download (through the tampering proxy, which sees every request and can stall an
 * answer mid-body), and the same command run again sends, or fetches, only the rest. The
 * proxy's request log shows how much the rerun moved; the result is byte-identical and
 * matches the SHA-256 inside the encrypted manifest.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as ProxyModule from '../../client/dist/test/proxy.js';
import type * as RoutesModule from '../../server/dist/test/routes.js';
import { start } from './file-helpers.js';
import { cleanup, harness, hush, tempDir } from './helpers.js';

const { startProxy } = (await import(
  new URL('../../../client/dist/test/proxy.js', import.meta.url).href
)) as typeof ProxyModule;

const { DbPeek } = (await import(
  new URL('../../../server/dist/test/routes.js', import.meta.url).href
)) as typeof RoutesModule;

const CHUNK = 65_536;
const SEALED = 65_552;
/** Ten upload chunks of 64 STREAM chunks, and a bit. */
const SIZE = 10 * 64 * CHUNK + 12_345;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hush file resumes after being killed mid-transfer', () => {
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  let proxy: ProxyModule.Proxy;
  const alice = tempDir('r-alice');
  const work = tempDir('r-work');
  const content = randomBytes(SIZE);
  const sha = createHash('sha256').update(content).digest('hex');
  const src = join(work, 'data.bin');
  let fileId = '';
  let blobId = '';

  before(async () => {
    server = await harness.spawnServer(storage);
    proxy = await startProxy(server.url);
    assert.equal((await hush(alice, ['init', '--name', 'alice', '--server', proxy.url])).code, 0);
    assert.equal((await hush(alice, ['team', 'create', 'core'])).code, 0);
    writeFileSync(src, content);
  });
  after(async () => {
    await proxy.close();
    await server.stop();
    await storage.destroy();
    cleanup(alice, work);
  });

  const puts = () => proxy.seen.filter((r) => r.method === 'PUT' && r.path.includes('/chunks/'));

  it('an upload killed at its fifth chunk sends only the missing chunks when rerun', async () => {
    const put = start(alice, ['file', 'put', src, '--json']);
    proxy.block = (method, path) => {
      if (method !== 'PUT' || !path.endsWith('/chunks/4')) return undefined;
      put.child.kill('SIGKILL');
      return 'drop';
    };
    put.child.stdin?.end();
    const killed = await put.done;
    proxy.block = undefined;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const journals = readdirSync(join(alice, 'uploads'));
    assert.equal(journals.length, 1, 'the upload journal survived the kill');
    // What the relay holds now (a request still in flight may add one more meanwhile: the
    // count only grows, so the rerun can only send fewer).
    await sleep(300);
    const { blobId: id } = JSON.parse(
      readFileSync(join(alice, 'uploads', journals[0] as string), 'utf8'),
    ) as { blobId: string };
    const peek = await DbPeek.open(storage);
    const [row] = await peek.query<{ n: unknown }>(
      'SELECT count(*) AS n FROM blob_chunks WHERE blob_id = ?',
      [id],
    );
    await peek.close();
    const stored = Number(row?.n);
    assert.ok(stored >= 1, 'chunk 0 was acknowledged before chunk 4 was sent');

    const before = puts().length;
    const r = await hush(alice, ['file', 'put', src, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [ref] = JSON.parse(r.stdout) as {
      id: string;
      sha256: string;
      sentChunks: number;
      chunkCount: number;
    }[];
    const sentNow = puts().length - before;
    assert.equal(ref?.chunkCount, 11);
    assert.equal(ref?.sentChunks, sentNow, 'the rerun sent what it says');
    assert.ok(sentNow <= 11 - stored, `the rerun sent ${sentNow} of 11, the relay held ${stored}`);
    assert.equal(ref?.sha256, sha);
    assert.deepEqual(readdirSync(join(alice, 'uploads')), [], 'the journal is gone');
    fileId = ref?.id ?? '';
    const listed = JSON.parse((await hush(alice, ['file', 'list', '--json'])).stdout) as {
      id: string;
      blobId: string;
      sha256: string;
    }[];
    const f = listed.find((x) => x.id === fileId);
    assert.equal(f?.sha256, sha, 'the manifest holds the content hash');
    blobId = f?.blobId ?? '';
  });

  /** Starts `hush file get` to `out` and SIGKILLs it once 32 verified chunks are written. */
  async function killedDownload(out: string) {
    const part = `${out}.hush-part`;
    // The relay's answer stalls after 40 sealed chunks and a bit: the client writes what
    // verified (in 1 MiB batches) and then waits for bytes that never come.
    proxy.stall = (method, path) =>
      method === 'GET' && path === `/v1/blobs/${blobId}` ? 40 * SEALED + 100 : undefined;
    const get = start(alice, ['file', 'get', fileId, '--out', out]);
    get.child.stdin?.end();
    const deadline = Date.now() + 30_000;
    while (!(existsSync(part) && statSync(part).size >= 32 * CHUNK) && Date.now() < deadline)
      await sleep(20);
    await sleep(200);
    get.child.kill('SIGKILL');
    const killed = await get.done;
    proxy.stall = undefined;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  }

  it('a download killed mid-way continues from the last whole chunk written', async () => {
    assert.ok(blobId, 'the upload test ran first');
    const out = join(work, 'copy.bin');
    const part = `${out}.hush-part`;
    await killedDownload(out);
    const have = statSync(part).size;
    assert.equal(have, 32 * CHUNK, 'whole verified chunks were written before the kill');
    assert.equal(existsSync(out), false, 'nothing at the target yet');

    const ranges: { range: string | undefined; bytes: number }[] = [];
    proxy.tamperBytes = (method, path, answer, ctx) => {
      if (method === 'GET' && path === `/v1/blobs/${blobId}`) {
        const range = ctx.reqHeaders.range;
        ranges.push({ range: Array.isArray(range) ? range[0] : range, bytes: answer.body.length });
      }
      return undefined;
    };
    const r = await hush(alice, ['file', 'get', fileId, '--out', out, '--json']);
    proxy.tamperBytes = undefined;
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { resumedAt: number; sha256: string };
    assert.equal(got.resumedAt, 32 * CHUNK);
    const sealedTotal = SIZE + 16 * Math.ceil(SIZE / CHUNK);
    assert.deepEqual(ranges, [
      { range: `bytes=${32 * SEALED}-`, bytes: sealedTotal - 32 * SEALED },
    ]);
    assert.ok(readFileSync(out).equals(content), 'byte-identical');
    assert.equal(got.sha256, sha);
    assert.equal(existsSync(part), false, 'the part file became the target');
    assert.deepEqual(readdirSync(join(alice, 'downloads')), [], 'the journal is gone');
  });

  it('a resumed download refuses a symbolic link planted at its part file', async () => {
    assert.ok(blobId, 'the upload test ran first');
    const out = join(work, 'linked.bin');
    const part = `${out}.hush-part`;
    await killedDownload(out);
    const victim = join(work, 'victim.txt');
    writeFileSync(victim, 'not to be overwritten');
    rmSync(part);
    symlinkSync(victim, part);
    const r = await hush(alice, ['file', 'get', fileId, '--out', out]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /hush-part is a symbolic link: remove it/);
    assert.equal(readFileSync(victim, 'utf8'), 'not to be overwritten');
    assert.equal(existsSync(out), false, 'nothing at the target');
    rmSync(part);
    const again = await hush(alice, ['file', 'get', fileId, '--out', out]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(readFileSync(out).equals(content), 'byte-identical');
  });
});
