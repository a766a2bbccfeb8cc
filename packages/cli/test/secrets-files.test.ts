/**
 * `hush secrets push|pull|diff` end to end with a tricky .env file (every kind of quote, `#`
 * in quotes, multi-line values, export, escapes, empty values, Unicode, `=` in values):
 * what one member pushes, another pulls back to the same names and values; pull refuses to
 * replace an edited file; diff exits 0 in sync and 1 on drift, never showing a value.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseDotenv } from '@hush/client';
import type * as Fixture from '../../client/dist/test/dotenv-fixture.js';
import { hush, tempDir } from './helpers.js';
import { fails, json, ok, teamOnRelay } from './team-fixture.js';

const { TRICKY_ENV, TRICKY_VALUES } = (await import(
  new URL('../../../client/dist/test/dotenv-fixture.js', import.meta.url).href
)) as typeof Fixture;

const valuesOf = (text: string) =>
  Object.fromEntries(parseDotenv(text).map((e) => [e.name, e.value]));

// SQLite only: what is particular here is parsing, rendering and files on the client; the
// writes are the same compare-and-set PUTs that secrets.test.ts runs on both dialects.
describe('hush secrets push, pull, diff', () => {
  const aliceDir = tempDir('alice-work');
  const bobDir = tempDir('bob-work');
  const t = teamOnRelay('sqlite', [aliceDir, bobDir]);
  const alice = (args: string[], input?: string) =>
    hush(t.alice, args, { cwd: aliceDir, ...(input !== undefined ? { input } : {}) });
  const bob = (args: string[]) => hush(t.bob, args, { cwd: bobDir });
  const env = ['--env', 'tricky'];

  before(() => writeFileSync(join(aliceDir, '.env'), TRICKY_ENV));

  it('push, then pull (json, dotenv, shell) gives back every name and value', async () => {
    const pushed = ok(await alice(['secrets', 'push', ...env]), 'push');
    assert.match(pushed.stderr, /16 added, 0 changed, 0 removed, 0 unchanged/);
    const again = ok(await alice(['secrets', 'push', ...env]), 'push again');
    assert.match(again.stderr, /0 added, 0 changed, 0 removed, 16 unchanged/);
    const asJson = json<Record<string, string>>(
      ok(await bob(['secrets', 'pull', ...env, '--format', 'json']), 'pull json'),
    );
    assert.deepEqual(asJson, TRICKY_VALUES);
    const asDotenv = ok(await bob(['secrets', 'pull', ...env]), 'pull dotenv').stdout;
    assert.deepEqual(valuesOf(asDotenv), TRICKY_VALUES);
    const shell = ok(await bob(['secrets', 'pull', ...env, '--format', 'shell']), 'shell').stdout;
    assert.match(shell, /^export BACKTICK='it'\\''s "both" kinds'$/m);
  });

  it('pull --out writes atomically with mode 0600; the file diffs clean (exit 0)', async () => {
    const r = ok(await bob(['secrets', 'pull', ...env, '--out', 'pulled.env']), 'pull --out');
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote 16 secrets to pulled\.env/);
    const file = join(bobDir, 'pulled.env');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(valuesOf(readFileSync(file, 'utf8')), TRICKY_VALUES);
    const d = ok(await bob(['secrets', 'diff', 'pulled.env', ...env]), 'diff');
    assert.match(d.stderr, /pulled\.env and tricky are in sync/);
    const again = ok(await bob(['secrets', 'pull', ...env, '--out', 'pulled.env']), 'again');
    assert.match(again.stderr, /already holds these 16 secrets/);
  });

  it('diff exits 1 on drift, names only; pull refuses an edited file unless --force', async () => {
    const file = join(bobDir, 'pulled.env');
    const edited = readFileSync(file, 'utf8')
      .replace(/^PLAIN=.*$/m, 'PLAIN=edited-locally-value')
      .replace(/^EMPTY=$/m, '')
      .concat('ADDED_HERE=only-in-the-file\n');
    writeFileSync(file, edited);
    const d = await bob(['secrets', 'diff', 'pulled.env', ...env]);
    assert.equal(d.code, 1, d.stderr);
    assert.deepEqual(d.stdout.trim().split('\n').sort(), [
      '+ ADDED_HERE  (in pulled.env, not in tricky)',
      '- EMPTY  (in tricky, not in pulled.env)',
      '~ PLAIN  (values differ: ***** vs *****)',
    ]);
    for (const v of ['edited-locally-value', 'only-in-the-file', 'plain-value'])
      assert.ok(!d.stdout.includes(v) && !d.stderr.includes(v), `diff shows ${v}`);
    const dj = json<{ added: string[]; removed: string[]; changed: string[]; inSync: boolean }>(
      await bob(['secrets', 'diff', 'pulled.env', ...env, '--json']),
    );
    assert.deepEqual(dj, {
      added: ['ADDED_HERE'],
      removed: ['EMPTY'],
      changed: ['PLAIN'],
      inSync: false,
    });

    fails(
      await bob(['secrets', 'pull', ...env, '--out', 'pulled.env']),
      7,
      /pulled\.env was changed since the last pull: use --force/,
      'pull over edits',
    );
    assert.equal(readFileSync(file, 'utf8'), edited, 'the edited file is untouched');
    ok(await bob(['secrets', 'pull', ...env, '--out', 'pulled.env', '--force']), 'force');
    assert.deepEqual(valuesOf(readFileSync(file, 'utf8')), TRICKY_VALUES);

    writeFileSync(join(bobDir, 'mine.env'), 'HAND=written\n');
    fails(
      await bob(['secrets', 'pull', ...env, '--out', 'mine.env']),
      7,
      /mine\.env exists and was not written by hush secrets pull/,
      'pull over a foreign file',
    );
    assert.equal(readFileSync(join(bobDir, 'mine.env'), 'utf8'), 'HAND=written\n');
  });

  it('push sets what changed; --prune deletes what the file lacks', async () => {
    writeFileSync(join(aliceDir, 'small.env'), 'PLAIN=changed\nBRAND_NEW="x y"\n');
    const r = ok(await alice(['secrets', 'push', 'small.env', ...env]), 'push');
    assert.match(r.stderr, /1 added, 1 changed, 0 removed, 0 unchanged/);
    const p = ok(
      await alice(['secrets', 'push', 'small.env', ...env, '--prune', '--json']),
      'prune',
    );
    const res = json<{ removed: string[]; unchanged: number }>(p);
    assert.equal(res.unchanged, 2);
    assert.equal(res.removed.length, 15);
    assert.deepEqual(
      json<Record<string, string>>(
        ok(await bob(['secrets', 'pull', ...env, '--format', 'json']), 'pull'),
      ),
      { BRAND_NEW: 'x y', PLAIN: 'changed' },
    );
    const h = json<{ deleted: boolean }[]>(
      ok(await bob(['secrets', 'history', 'UNICODE', ...env, '--json']), 'history'),
    );
    assert.deepEqual(
      h.map((v) => v.deleted),
      [false, true],
    );
  });

  it('a malformed file is refused with its line number (exit 2) and nothing is written', async () => {
    writeFileSync(
      join(aliceDir, 'bad.env'),
      'GOOD=1\nALSO_GOOD="two\nlines"\nBROKEN secret-looking-text\n',
    );
    const line = fails(await alice(['secrets', 'push', 'bad.env', ...env]), 2, /line 4: /, 'bad');
    assert.ok(!line.includes('secret-looking-text'));
    fails(await alice(['secrets', 'push', 'none.env', ...env]), 6, /no file none\.env/, 'missing');
    fails(await alice(['secrets', 'diff', 'none.env', ...env]), 6, /no file none\.env/, 'missing');
    const names = json<{ name: string }[]>(
      ok(await bob(['secrets', 'list', ...env, '--json']), 'list'),
    );
    assert.deepEqual(
      names.map((s) => s.name),
      ['BRAND_NEW', 'PLAIN'],
    );
  });
});
