/**
 * Snippets end to end: the real `hush` binary, two people, a real relay, real git
 * repositories (alice's and bob's clone of it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFileArg } from '../src/commands/share.js';
import { patchPaths } from '../src/commands/snippet.js';
import { cleanup, harness, hush, oneLine, tempDir, watchProcess, type Result } from './helpers.js';

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

/** git status --porcelain plus the working tree's content, to prove nothing changed. */
function snapshot(dir: string): string {
  return git(dir, 'status', '--porcelain') + readFileSync(join(dir, 'lib', 'math.py'), 'utf8');
}

interface Snip {
  id: string;
  kind: string;
  language: string;
  path: string;
  lines?: { first: number; last: number };
  commit: string;
  gitRemote: string;
  content: string;
  from: { name: string };
}

const SOURCE = ['def add(a, b):', '    return a + b', '', 'def sub(a, b):', '    return a - b', ''];

describe('share FILE:START-END parsing', () => {
  it('splits a range, keeps names that exist as typed', () => {
    const none = () => false;
    assert.deepEqual(parseFileArg('a.ts:3-7', none), {
      file: 'a.ts',
      lines: { first: 3, last: 7 },
    });
    assert.deepEqual(parseFileArg('a.ts:4', none), { file: 'a.ts', lines: { first: 4, last: 4 } });
    assert.deepEqual(parseFileArg('a.ts', none), { file: 'a.ts' });
    assert.deepEqual(
      parseFileArg('a:1', () => true),
      { file: 'a:1' },
    );
    assert.throws(() => parseFileArg('a.ts:5-2', none), /START <= END/);
    assert.throws(() => parseFileArg('a.ts:0-2', none), /START <= END/);
  });

  it('reads the paths of a patch as git apply --numstat -z prints them', () => {
    assert.deepEqual(patchPaths('1\t0\tsrc/a.ts\0-\t-\timg.png\0'), ['src/a.ts', 'img.png']);
    assert.deepEqual(patchPaths('0\t0\t\0old name\0new name\0'), ['old name', 'new name']);
  });
});

for (const kind of await harness.dialects()) {
  describe(`hush snippets end to end (${kind})`, () => {
    const storage = new harness.Storage(kind);
    let server: Awaited<ReturnType<typeof harness.spawnServer>>;
    const alice = tempDir('alice');
    const bob = tempDir('bob');
    const work = tempDir('work');
    const clone = tempDir('clone');
    let head = '';

    before(async () => {
      server = await harness.spawnServer(storage);
      ok(await hush(alice, ['init', '--name', 'alice', '--server', server.url]), 'alice init');
      ok(await hush(bob, ['init', '--name', 'bob', '--server', server.url]), 'bob init');
      ok(await hush(alice, ['team', 'create', 'core']), 'team create');
      const token = ok(await hush(alice, ['team', 'invite', 'core']), 'invite').stdout.trim();
      ok(await hush(bob, ['join', token]), 'join');
      git(work, 'init', '-q');
      mkdirSync(join(work, 'lib'));
      writeFileSync(join(work, 'lib', 'math.py'), SOURCE.join('\n'));
      git(work, 'add', '.');
      git(work, 'commit', '-q', '-m', 'math');
      git(work, 'remote', 'add', 'origin', 'https://alice:tok@git.example.com/team/math.git');
      head = git(work, 'rev-parse', 'HEAD').trim();
      git(clone, 'clone', '-q', work, '.');
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
      cleanup(alice, bob, work, clone);
    });

    it('shares a line range; the teammate lists and gets it', async () => {
      const shared = ok(
        await hush(alice, ['share', 'math.py:4-5', '--note', 'is this right?'], {
          cwd: join(work, 'lib'),
        }),
        'share',
      );
      const id = shared.stdout.trim();
      assert.match(id, /^[A-Za-z0-9_-]{22,43}$/);
      const list = JSON.parse(
        ok(await hush(bob, ['snippets', '--json', '--from', 'alice']), 'snippets').stdout,
      ) as Snip[];
      assert.deepEqual(
        list.map((s) => s.id),
        [id],
      );
      const s = JSON.parse(ok(await hush(bob, ['snippet', id, '--json']), 'get').stdout) as Snip;
      assert.equal(s.kind, 'content');
      assert.equal(s.language, 'python');
      assert.equal(s.path, 'lib/math.py');
      assert.deepEqual(s.lines, { first: 4, last: 5 });
      assert.equal(s.commit, head);
      assert.equal(s.gitRemote, 'https://git.example.com/team/math.git');
      assert.equal(s.content, 'def sub(a, b):\n    return a - b\n');
      assert.equal(s.from.name, 'alice');
      const table = ok(await hush(bob, ['snippets']), 'snippets table');
      assert.match(table.stdout, /^ID\s+TIME\s+FROM/);
      assert.match(table.stdout, /lib\/math\.py:4-5/);
      const shown = ok(await hush(bob, ['snippet', id]), 'show');
      assert.match(shown.stdout, /is this right\?/);
      assert.ok(shown.stdout.endsWith('def sub(a, b):\n    return a - b\n'));
      const file = join(bob, 'out', 'sub.py');
      ok(await hush(bob, ['snippet', id, '--out', file]), 'out');
      assert.equal(readFileSync(file, 'utf8'), s.content);
      assert.equal(
        JSON.parse(ok(await hush(bob, ['snippets', '--json', '--from', 'bob']), 'none').stdout)
          .length,
        0,
      );
    });

    it('watch shows snippets as they arrive (JSON), and those sent while it was stopped', async () => {
      const share = async (range: string, title: string) =>
        ok(
          await hush(alice, ['share', range, '--title', title], { cwd: join(work, 'lib') }),
          'share',
        ).stdout.trim();
      const json = watchProcess(bob, ['watch', '--json']);
      try {
        await json.waitFor((l) => l.includes('"ready"'));
        const live = await share('math.py:1-2', 'add it');
        const ev = JSON.parse(await json.waitFor((l) => l.includes(live))) as {
          type: string;
          snippet: Snip;
        };
        assert.equal(ev.type, 'snippet');
        assert.equal(ev.snippet.content, 'def add(a, b):\n    return a + b\n');
        assert.equal(ev.snippet.language, 'python');
      } finally {
        assert.equal(await json.stop(), 0);
      }
      // Shared while nobody watched: the next watch resumes from its cursor and shows it.
      const later = await share('math.py:4-5', 'sub it');
      const text = watchProcess(bob, ['watch']);
      try {
        const line = await text.waitFor((l) => l.includes(later));
        assert.match(line, /alice in core: snippet "sub it" \(python, lib\/math\.py:4-5\)/);
      } finally {
        assert.equal(await text.stop(), 0);
      }
    });

    it('share --diff, then --apply in the teammate clone produces the change', async () => {
      const changed = SOURCE.join('\n').replace('a - b', 'a - b  # checked');
      writeFileSync(join(work, 'lib', 'math.py'), changed);
      const id = ok(
        await hush(alice, ['share', '--diff', '--to', 'core', '--title', 'fix sub'], { cwd: work }),
        'share --diff',
      ).stdout.trim();
      git(work, 'commit', '-q', '-am', 'checked');
      const s = JSON.parse(ok(await hush(bob, ['snippet', id, '--json']), 'get').stdout) as Snip;
      assert.equal(s.kind, 'patch');
      assert.equal(s.commit, head);
      const applied = ok(
        await hush(bob, ['snippet', id, '--apply'], { cwd: join(clone, 'lib') }),
        'apply',
      );
      assert.match(applied.stderr, /applied/);
      assert.equal(readFileSync(join(clone, 'lib', 'math.py'), 'utf8'), changed);
    });

    it('a patch that does not apply is refused with exit 7 and changes nothing', async () => {
      // The clone already has the change: the same patch no longer applies.
      const list = JSON.parse(
        ok(await hush(bob, ['snippets', '--json']), 'snippets').stdout,
      ) as Snip[];
      const patch = list.find((s) => s.kind === 'patch');
      assert.ok(patch);
      const before = snapshot(clone);
      const r = await hush(bob, ['snippet', patch.id, '--apply'], { cwd: clone });
      assert.equal(r.code, 7, r.stderr);
      assert.match(
        oneLine(r),
        /^hush: the patch does not apply cleanly here .*nothing was changed$/,
      );
      assert.equal(snapshot(clone), before);
    });

    it('refuses to apply a content snippet, an unknown id and an empty diff', async () => {
      const content = (
        JSON.parse(ok(await hush(bob, ['snippets', '--json']), 'snippets').stdout) as Snip[]
      ).find((s) => s.kind === 'content');
      assert.ok(content);
      const r = await hush(bob, ['snippet', content.id, '--apply'], { cwd: clone });
      assert.equal(r.code, 2, r.stderr);
      assert.match(oneLine(r), /only a patch/);
      const missing = await hush(bob, ['snippet', 'A'.repeat(22)]);
      assert.equal(missing.code, 6, missing.stderr);
      const nothing = await hush(alice, ['share', '--diff'], { cwd: work });
      assert.equal(nothing.code, 2, nothing.stderr);
      assert.match(oneLine(nothing), /no changes/);
    });
  });
}
