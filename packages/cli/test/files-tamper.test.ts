/**
 * A lying relay serving file content (attack class 4, and 7 for a swapped blob): through
 * the tampering proxy, bob's `hush file get` receives a blob with a flipped byte, two chunks
 * swapped, a blob cut short, and another file's blob of the same size. Each is refused with
 * exit 5 and one line on stderr, nothing appears at the target path, and no temp file or
 * journal is left behind. The honest download still works afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as ProxyModule from '../../client/dist/test/proxy.js';
import { run } from './file-helpers.js';
import { cleanup, harness, hush, oneLine, tempDir } from './helpers.js';

const { startProxy } = (await import(
  new URL('../../../client/dist/test/proxy.js', import.meta.url).href
)) as typeof ProxyModule;

const SEALED = 65_552;
const SIZE = 5 * 65_536 + 777;

interface Listed {
  id: string;
  name: string;
  blobId: string;
}

describe('hush file get against a lying relay', () => {
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  let proxy: ProxyModule.Proxy;
  const alice = tempDir('ft-alice');
  const bob = tempDir('ft-bob');
  const work = tempDir('ft-work');
  const a = randomBytes(SIZE);
  const b = randomBytes(SIZE);
  let fa: Listed;
  let fb: Listed;
  let blobOfB: Buffer = Buffer.alloc(0);

  before(async () => {
    server = await harness.spawnServer(storage);
    proxy = await startProxy(server.url);
    const ok = async (home: string, args: string[]) => {
      const r = await hush(home, args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    await ok(alice, ['init', '--name', 'alice', '--server', server.url]);
    await ok(bob, ['init', '--name', 'bob', '--server', proxy.url]);
    await ok(alice, ['team', 'create', 'core']);
    await ok(bob, ['join', await ok(alice, ['team', 'invite', 'core'])]);
    writeFileSync(join(work, 'a.bin'), a);
    writeFileSync(join(work, 'b.bin'), b);
    await ok(alice, ['file', 'put', join(work, 'a.bin'), join(work, 'b.bin')]);
    const listed = JSON.parse(await ok(bob, ['file', 'list', '--json'])) as Listed[];
    fa = listed.find((f) => f.name === 'a.bin') as Listed;
    fb = listed.find((f) => f.name === 'b.bin') as Listed;
    // b.bin's blob as the relay stores it, captured on an honest download.
    proxy.tamperBytes = (method, path, answer) => {
      if (method === 'GET' && path === `/v1/blobs/${fb.blobId}`) blobOfB = answer.body;
      return undefined;
    };
    await ok(bob, ['file', 'get', 'b.bin', '--out', join(work, 'b-honest.bin')]);
    proxy.tamperBytes = undefined;
    assert.equal(blobOfB.length, SIZE + 16 * 6);
  });
  after(async () => {
    await proxy.close();
    await server.stop();
    await storage.destroy();
    cleanup(alice, bob, work);
  });

  /** Serves `rewrite(blob of a.bin)` for a.bin's blob. */
  function lie(rewrite: (blob: Buffer) => Buffer): void {
    proxy.tamperBytes = (method, path, answer) =>
      method === 'GET' && path === `/v1/blobs/${fa.blobId}` ? rewrite(answer.body) : undefined;
  }

  const attacks: [string, (blob: Buffer) => Buffer][] = [
    [
      'a flipped byte in a chunk',
      (blob) => {
        const t = Buffer.from(blob);
        t[SEALED + 1000] = (t[SEALED + 1000] ?? 0) ^ 0x01;
        return t;
      },
    ],
    [
      'two chunks swapped',
      (blob) =>
        Buffer.concat([
          blob.subarray(SEALED, 2 * SEALED),
          blob.subarray(0, SEALED),
          blob.subarray(2 * SEALED),
        ]),
    ],
    ['the blob cut after two chunks', (blob) => blob.subarray(0, 2 * SEALED)],
    ['the blob cut by one byte', (blob) => blob.subarray(0, blob.length - 1)],
    ['another file’s blob of the same size', () => blobOfB],
  ];

  for (const [what, rewrite] of attacks)
    it(`refuses ${what}: exit 5, one line, nothing at the target, no temp file`, async () => {
      lie(rewrite);
      const out = join(work, 'a-out.bin');
      try {
        const r = await hush(bob, ['file', 'get', 'a.bin', '--out', out]);
        assert.equal(r.code, 5, `${what}: ${r.stderr}`);
        assert.match(oneLine(r), /^hush: file a\.bin \(\S+\) does not verify: /);
        assert.equal(existsSync(out), false, 'nothing at the target path');
        assert.deepEqual(
          readdirSync(work).filter((f) => f.includes('hush-part')),
          [],
          'no temp file left',
        );
        assert.deepEqual(readdirSync(join(bob, 'downloads')), [], 'no download journal left');
        // To stdout the bytes are out before the end is checked: the exit code says discard them.
        const piped = await run(bob, ['file', 'get', 'a.bin', '--out', '-']);
        assert.equal(piped.code, 5, piped.stderr);
        assert.equal(piped.stderr.trim().split('\n').length, 1);
      } finally {
        proxy.tamperBytes = undefined;
      }
    });

  it('still downloads the honest blob afterwards', async () => {
    const out = join(work, 'a-honest.bin');
    const r = await hush(bob, ['file', 'get', fa.id, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(a));
  });
});
