/**
 * `hush file` end to end: the real binary against a real relay. Team files and direct files
 * are put, listed, fetched and removed, on SQLite and PostgreSQL (what storage holds: team
 * and direct blobs, manifests, tombstones); several paths at once; binary content, an empty
 * file, exactly 64 KiB and 64 KiB + 1 (STREAM chunk edges). What the client alone decides
 * (stdin and stdout, names, team resolution, the failures scripts rely on, each with its
 * exit code and one line) runs on SQLite only.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from './file-helpers.js';
import { cleanup, harness, hush, oneLine, tempDir, type Result } from './helpers.js';

interface Listed {
  id: string;
  name: string;
  size: number;
  mediaType: string;
  sha256: string;
  direct: boolean;
  from: { name: string };
  team?: { name: string };
}

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

function failed(r: Result, code: number, what: string, why: RegExp): void {
  assert.equal(r.code, code, `${what}: expected exit ${code}, got ${r.code}: ${r.stderr}`);
  assert.match(oneLine(r), why, what);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const kind of await harness.dialects()) {
  describe(`hush file (${kind})`, () => {
    const storage = new harness.Storage(kind);
    let server: Awaited<ReturnType<typeof harness.spawnServer>>;
    const alice = tempDir('f-alice');
    const bob = tempDir('f-bob');
    const carol = tempDir('f-carol');
    const work = tempDir('f-work');
    /** A test of what the client alone decides: on SQLite only. */
    const clientOnly = (name: string, fn: () => Promise<void>) =>
      kind === 'sqlite' ? it(name, fn) : undefined;
    const list = async (home: string, ...args: string[]) =>
      JSON.parse(
        ok(await hush(home, ['file', 'list', '--json', ...args]), 'list').stdout,
      ) as Listed[];

    before(async () => {
      server = await harness.spawnServer(storage);
      for (const [home, name] of [
        [alice, 'alice'],
        [bob, 'bob'],
        [carol, 'carol'],
      ] as const)
        ok(await hush(home, ['init', '--name', name, '--server', server.url]), `${name} init`);
      ok(await hush(alice, ['team', 'create', 'core']), 'team create');
      for (const [home, role] of [
        [bob, 'writer'],
        [carol, 'reader'],
      ] as const) {
        const token = ok(await hush(alice, ['team', 'invite', 'core', '--role', role]), 'invite');
        ok(await hush(home, ['join', token.stdout.trim()]), 'join');
      }
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
      cleanup(alice, bob, carol, work);
    });

    it('puts several files at once (binary, empty, 64 KiB, 64 KiB + 1); a teammate lists and gets each', async () => {
      const files: Record<string, Buffer> = {
        'empty.bin': Buffer.alloc(0),
        'one-chunk.bin': randomBytes(65_536),
        'two-chunks.bin': randomBytes(65_537),
        'zeros-and-ff.dat': Buffer.concat([Buffer.alloc(1000), Buffer.alloc(1000, 0xff)]),
      };
      const paths = Object.entries(files).map(([n, b]) => {
        writeFileSync(join(work, n), b);
        return join(work, n);
      });
      const put = ok(await hush(alice, ['file', 'put', ...paths]), 'put');
      const ids = put.stdout.trim().split('\n');
      assert.equal(ids.length, paths.length, 'one id per file on stdout');
      const seen = await list(bob);
      for (const [n, b] of Object.entries(files)) {
        const f = seen.find((x) => x.name === n);
        assert.ok(f, `bob lists ${n}`);
        assert.ok(ids.includes(f.id));
        assert.equal(f.size, b.length);
        assert.equal(f.sha256, sha(b));
        assert.equal(f.from.name, 'alice');
        assert.equal(f.team?.name, 'core');
        const out = join(work, `got-${n}`);
        ok(await hush(bob, ['file', 'get', n, '--out', out]), `get ${n}`);
        assert.ok(readFileSync(out).equals(b), `${n} is byte-identical`);
        if (n === 'empty.bin' || n === 'two-chunks.bin') {
          // By id, to stdout.
          const piped = await run(bob, ['file', 'get', f.id, '--out', '-']);
          assert.equal(piped.code, 0, piped.stderr);
          assert.ok(piped.stdout.equals(b), `${n} on stdout`);
        }
      }
      assert.deepEqual(
        readdirSync(work).filter((f) => f.includes('.hush-part')),
        [],
        'no part file left',
      );
    });

    clientOnly(
      'reads stdin with --name, writes into a directory under the name, and never clobbers',
      async () => {
        const text = 'line one\nline two\n';
        const put = await hush(bob, ['file', 'put', '-', '--name', 'notes.txt', '--json'], {
          input: text,
        });
        const [ref] = JSON.parse(ok(put, 'put stdin').stdout) as { id: string; size: number }[];
        assert.equal(ref?.size, text.length);
        const dir = tempDir('f-dir');
        try {
          ok(await hush(alice, ['file', 'get', 'notes.txt', '--out', dir]), 'get into dir');
          assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), text);
          const here = await hush(alice, ['file', 'get', 'notes.txt'], { cwd: dir });
          failed(here, 7, 'get over an existing file', /exists/);
          assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), text);
        } finally {
          cleanup(dir);
        }
        const [listed] = (await list(alice)).filter((f) => f.name === 'notes.txt');
        assert.equal(listed?.mediaType, 'text/plain');
      },
    );

    clientOnly('takes the newest file of a name, and ids always work', async () => {
      const p = join(work, 'build.log');
      writeFileSync(p, 'first\n');
      const first = ok(await hush(alice, ['file', 'put', p]), 'put 1').stdout.trim();
      writeFileSync(p, 'second\n');
      ok(await hush(bob, ['file', 'put', p]), 'put 2');
      const out = join(work, 'newest.log');
      ok(await hush(carol, ['file', 'get', 'build.log', '--out', out]), 'get newest');
      assert.equal(readFileSync(out, 'utf8'), 'second\n');
      ok(await hush(carol, ['file', 'get', first, '--out', out]), 'get by id');
      assert.equal(readFileSync(out, 'utf8'), 'first\n');
    });

    it('sends a direct file: the recipient lists and gets it, a third member never sees it', async () => {
      const content = randomBytes(200_000);
      const p = join(work, 'for-bob.bin');
      writeFileSync(p, content);
      const id = ok(
        await hush(alice, ['file', 'put', p, '--to', '@bob']),
        'put direct',
      ).stdout.trim();
      const f = (await list(bob)).find((x) => x.id === id);
      assert.equal(f?.direct, true);
      assert.equal(
        (await list(carol)).find((x) => x.id === id),
        undefined,
      );
      failed(await hush(carol, ['file', 'get', id]), 6, 'carol gets it', /no file/);
      const out = join(work, 'from-alice.bin');
      ok(await hush(bob, ['file', 'get', id, '--out', out]), 'bob gets it');
      assert.ok(readFileSync(out).equals(content));
      failed(await hush(bob, ['file', 'rm', id]), 3, 'bob removes it', /only its sender/);
      const rm = JSON.parse(ok(await hush(alice, ['file', 'rm', id, '--json']), 'rm').stdout) as {
        blobDeleted: boolean;
      };
      assert.equal(rm.blobDeleted, true);
      assert.equal(
        (await list(bob)).find((x) => x.id === id),
        undefined,
      );
      assert.equal(
        (await list(alice)).find((x) => x.id === id),
        undefined,
      );
    });

    it('removes a team file for everyone; a reader may not remove or send', async () => {
      const p = join(work, 'old.tar');
      writeFileSync(p, randomBytes(1000));
      const id = ok(await hush(bob, ['file', 'put', p]), 'put').stdout.trim();
      failed(await hush(carol, ['file', 'rm', id]), 3, 'reader rm', /uploader or a team admin/);
      failed(await hush(carol, ['file', 'put', p]), 3, 'reader put', /cannot send files/);
      ok(await hush(alice, ['file', 'rm', 'old.tar']), 'admin rm');
      for (const home of [alice, bob, carol])
        assert.equal(
          (await list(home)).find((x) => x.id === id),
          undefined,
        );
      failed(await hush(bob, ['file', 'get', id]), 6, 'get removed', /removed/);
      const again = JSON.parse(
        ok(await hush(bob, ['file', 'rm', id, '--json']), 'rm again').stdout,
      ) as {
        tombstoned: boolean;
        blobDeleted: boolean;
      };
      assert.deepEqual(again, { ...again, tombstoned: false, blobDeleted: false });
    });

    clientOnly('fails with clear one-line errors and distinct exit codes', async () => {
      const cases: [string[], number, RegExp, string?][] = [
        [['file', 'put', '-'], 2, /needs --name/],
        [['file', 'put', join(work, 'nope.bin')], 6, /no file/],
        [['file', 'put', work], 2, /not a regular file/],
        [['file', 'put', join(work, 'build.log'), '--to', '@bob', '--team', 'core'], 2, /not both/],
        [['file', 'put', join(work, 'build.log'), '--team', 'nosuch'], 6, /no team/],
        [['file', 'get', 'no-such-file.bin'], 6, /no file/],
        [['file', 'get', 'build.log', '--out', '-', '--json'], 2, /stdout/],
        [['file', 'put', '-', '--name', '../escape'], 2, /not a usable file name/, 'x'],
        [['file', 'put', join(work, 'build.log'), '--type', 'Text/Plain'], 2, /cannot send it/],
      ];
      for (const [args, code, why, input] of cases)
        failed(await hush(alice, args, input ? { input } : {}), code, args.join(' '), why);
      assert.equal(existsSync(join(work, 'no-such-file.bin')), false);
    });

    // Last: it gives alice a second team, so a put without --team needs one named.
    clientOnly('takes the team from --team, else HUSH_TEAM, else the only team', async () => {
      ok(await hush(alice, ['team', 'create', 'ops']), 'second team');
      const p = join(work, 'where.txt');
      writeFileSync(p, 'here\n');
      failed(await hush(alice, ['file', 'put', p]), 2, 'no team named', /several teams/);
      const viaEnv = await hush(alice, ['file', 'put', p, '--json'], { env: { HUSH_TEAM: 'ops' } });
      const [ref] = JSON.parse(ok(viaEnv, 'put with HUSH_TEAM').stdout) as { id: string }[];
      const inOps = await list(alice, '--team', 'ops');
      assert.deepEqual(
        inOps.map((f) => f.id),
        [ref?.id],
      );
      const flag = await hush(alice, ['file', 'put', p, '--team', 'core', '--json'], {
        env: { HUSH_TEAM: 'ops' },
      });
      const [inCore] = JSON.parse(ok(flag, 'put with --team').stdout) as { id: string }[];
      assert.ok((await list(alice, '--team', 'core')).some((f) => f.id === inCore?.id));
    });
  });
}
