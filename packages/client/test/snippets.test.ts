import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NotFoundError, UsageError, type Hush } from '../src/index.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

const LINES = Array.from({ length: 10 }, (_, i) => `export const v${i + 1} = ${i + 1};`);

/** A repository with src/values.ts (10 lines), one commit, and a remote with credentials. */
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hush-repo-'));
  git(dir, 'init', '-q');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'values.ts'), `${LINES.join('\n')}\n`);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'init');
  git(dir, 'remote', 'add', 'origin', 'https://alice:s3cret@example.com/o/r.git');
  return dir;
}

for (const kind of await dialects())
  describe(`snippets on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let alice: Hush;
    let bob: Hush;
    let work: string;
    let head: string;
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      alice = await person(server.url, 'alice');
      bob = await person(server.url, 'bob');
      await alice.teams.create('platform');
      await bob.join(await alice.teams.invite('platform', { role: 'writer' }));
      work = repo();
      head = git(work, 'rev-parse', 'HEAD').trim();
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    it('shares a line range; the teammate lists and gets it, verified', async () => {
      const ref = await alice.snippets.share({
        target: 'platform',
        file: 'src/values.ts',
        lines: { first: 3, last: 5 },
        note: 'look at these',
        cwd: work,
      });
      assert.equal(ref.queued, false);
      const listed = await bob.snippets.list();
      assert.deepEqual(
        listed.map((s) => s.id),
        [ref.id],
      );
      const s = await bob.snippets.get(ref.id);
      assert.equal(s.from.name, 'alice');
      assert.equal(s.team?.name, 'platform');
      assert.equal(s.kind, 'content');
      assert.equal(s.language, 'typescript');
      assert.equal(s.path, 'src/values.ts');
      assert.deepEqual(s.lines, { first: 3, last: 5 });
      assert.equal(s.commit, head);
      assert.equal(s.gitRemote, 'https://example.com/o/r.git', 'credentials are removed');
      assert.equal(s.title, 'src/values.ts:3-5');
      assert.equal(s.note, 'look at these');
      assert.equal(s.content, `${LINES.slice(2, 5).join('\n')}\n`);
      assert.ok(
        !(await bob.messages.inbox()).some((m) => m.id === ref.id),
        'a snippet is not a message',
      );
    });

    it('filters by author, and records the path from the repository root', async () => {
      const ref = await bob.snippets.share({
        target: '@alice',
        file: 'values.ts',
        title: 'whole file',
        cwd: join(work, 'src'),
      });
      const got = await alice.snippets.get(ref.id);
      assert.equal(got.direct, true);
      assert.equal(got.path, 'src/values.ts');
      assert.equal(got.lines, undefined);
      assert.equal(got.content, `${LINES.join('\n')}\n`);
      const fromBob = await alice.snippets.list({ from: 'bob' });
      assert.deepEqual(
        fromBob.map((s) => s.id),
        [ref.id],
      );
      assert.ok(
        (await alice.snippets.list({ from: 'alice' })).every((s) => s.from.name === 'alice'),
      );
    });

    it('shares a git diff as a patch that applies in a clone', async () => {
      const clone = mkdtempSync(join(tmpdir(), 'hush-clone-'));
      try {
        git(clone, 'clone', '-q', work, '.');
        writeFileSync(
          join(work, 'src', 'values.ts'),
          `${LINES.join('\n')}\nexport const v11 = 11;\n`,
        );
        const ref = await alice.snippets.share({ target: 'platform', diffArgs: [], cwd: work });
        const s = await bob.snippets.get(ref.id);
        assert.equal(s.kind, 'patch');
        assert.equal(s.language, 'diff');
        assert.equal(s.path, '');
        assert.equal(s.commit, head);
        assert.match(s.content, /^diff --git a\/src\/values.ts b\/src\/values.ts/);
        execFileSync('git', ['apply', '-'], { cwd: clone, input: s.content });
        assert.equal(
          readFileSync(join(clone, 'src', 'values.ts'), 'utf8'),
          readFileSync(join(work, 'src', 'values.ts'), 'utf8'),
        );
      } finally {
        git(work, 'checkout', '-q', '--', '.');
        rmSync(clone, { recursive: true, force: true });
      }
    });

    it('refuses what it cannot share', async () => {
      const share = (o: Parameters<Hush['snippets']['share']>[0]) =>
        alice.snippets.share({ target: 'platform', cwd: work, ...o });
      await assert.rejects(
        share({ file: 'src/values.ts', lines: { first: 9, last: 11 } }),
        UsageError,
      );
      await assert.rejects(
        share({ file: 'src/values.ts', lines: { first: 0, last: 1 } }),
        UsageError,
      );
      await assert.rejects(share({ file: 'missing.ts' }), NotFoundError);
      await assert.rejects(share({ diffArgs: [] }), /no changes/);
      await assert.rejects(share({ file: 'src/values.ts', diffArgs: [] }), UsageError);
      await assert.rejects(share({}), UsageError);
      await assert.rejects(alice.snippets.get('A'.repeat(22)), NotFoundError);
    });
  });
