/**
 * Constant memory for any size: 2 GiB generated on the fly is piped into `hush file put -`
 * and streamed back out of `hush file get --out -` into a hash, and each hush process's peak
 * resident set (VmHWM from /proc) stays under a generous bound. A memory bound is a
 * correctness property (the transfer must not hold the file), not a timing. SQLite only: the
 * storage dialect does not change what this checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { content, feed, start } from './file-helpers.js';
import { cleanup, harness, hush, tempDir } from './helpers.js';

const SIZE = 2 * 1024 ** 3;
const BOUND = 300 * 1024 ** 2;

describe('hush file with 2 GiB through stdin and stdout', () => {
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  const alice = tempDir('big-alice');
  let sent = '';

  before(async () => {
    server = await harness.spawnServer(storage);
    assert.equal((await hush(alice, ['init', '--name', 'alice', '--server', server.url])).code, 0);
    assert.equal((await hush(alice, ['team', 'create', 'core'])).code, 0);
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
    cleanup(alice);
  });

  it('uploads 2 GiB from stdin in bounded memory; the manifest holds its SHA-256', async (t) => {
    const put = start(alice, ['file', 'put', '-', '--name', 'big.bin', '--json']);
    sent = await feed(put.child, content(SIZE, 'big'));
    const r = await put.done;
    assert.equal(r.code, 0, r.stderr);
    const [ref] = JSON.parse(r.stdout.toString()) as { size: number; sha256: string }[];
    assert.equal(ref?.size, SIZE);
    assert.equal(ref?.sha256, sent);
    assert.ok(r.peakRss > 0, 'memory was sampled');
    assert.ok(r.peakRss < BOUND, `hush file put peaked at ${r.peakRss} bytes`);
    t.diagnostic(`hush file put: peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`);
  });

  it('downloads it to stdout in bounded memory, byte-identical', async (t) => {
    const hash = createHash('sha256');
    let n = 0;
    const get = start(alice, ['file', 'get', 'big.bin', '--out', '-'], {
      onStdout: (b) => {
        n += b.length;
        hash.update(b);
      },
    });
    get.child.stdin?.end();
    const r = await get.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(n, SIZE);
    assert.equal(hash.digest('hex'), sent);
    assert.ok(r.peakRss > 0, 'memory was sampled');
    assert.ok(r.peakRss < BOUND, `hush file get peaked at ${r.peakRss} bytes`);
    t.diagnostic(`hush file get: peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`);
  });
});
