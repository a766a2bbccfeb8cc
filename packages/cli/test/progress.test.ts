/**
 * Progress bars: the line a bar draws (bytes, rate, ETA), and that the real binary draws it
 * on a terminal (a pseudo-terminal from util-linux `script`) and never when stderr is a pipe
 * or with --json.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bytes, line } from '../src/progress.js';
import { childEnv, cleanup, harness, HUSH, hush, tempDir } from './helpers.js';

describe('progress lines', () => {
  it('formats byte counts for people', () => {
    assert.equal(bytes(0), '0 B');
    assert.equal(bytes(1023), '1023 B');
    assert.equal(bytes(1536), '1.50 KiB');
    assert.equal(bytes(100 * 1024 ** 2), '100 MiB');
    assert.equal(bytes(2 * 1024 ** 3), '2.00 GiB');
  });

  it('draws bar, percentage, bytes, rate and ETA, cut to the terminal width', () => {
    const l = line('app.tar', { done: 512, total: 1024 }, 1000, 80);
    assert.equal(
      l,
      'app.tar [##############.............]   50%  512 B / 1.00 KiB  512 B/s  ETA 0:01',
    );
    assert.ok(line('app.tar', { done: 512, total: 1024 }, 1000, 40).length <= 40);
    assert.equal(
      line('stdin', { done: 2048, total: undefined }, 2000, 80),
      'stdin  2.00 KiB  1.00 KiB/s',
    );
    assert.match(line('x', { done: 0, total: 10 }, 0, 80), /ETA --:--$/);
  });
});

describe('progress on a terminal only', () => {
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  const home = tempDir('p-home');
  const file = join(home, 'blob.bin');

  before(async () => {
    server = await harness.spawnServer(storage);
    assert.equal((await hush(home, ['init', '--name', 'p', '--server', server.url])).code, 0);
    assert.equal((await hush(home, ['team', 'create', 'core'])).code, 0);
    writeFileSync(file, randomBytes(3 * 1024 * 1024));
  });
  after(async () => {
    await server.stop();
    await storage.destroy();
    cleanup(home);
  });

  it('draws on a pseudo-terminal, and not on a pipe or with --json', async () => {
    const onTty = await new Promise<string>((resolve, reject) =>
      execFile(
        'script',
        ['-qec', `"${process.execPath}" "${HUSH}" file put "${file}" --name tty.bin`, '/dev/null'],
        { env: childEnv(home, {}), timeout: 60_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    assert.match(onTty, /tty\.bin \[#+\] +100% {2}3\.00 MiB \/ 3\.00 MiB/);
    const piped = await hush(home, ['file', 'put', file, '--name', 'pipe.bin']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /\[#|%/);
    assert.equal(piped.stderr.trim().split('\n').length, 1, 'one line: what was sent');
    const json = await hush(home, ['file', 'put', file, '--name', 'json.bin', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, '');
  });
});
