/**
 * `hush secrets set|get|list|rm|history|rollback|envs` end to end: the real binary, two
 * people and an agent, against a real relay (SQLite, and PostgreSQL when it answers).
 * Compare-and-set at the relay, role rules, and the exposure list after a removal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { harness, hush, tempDir } from './helpers.js';
import { fails, json, ok, teamOnRelay } from './team-fixture.js';

interface Listed {
  name: string;
  environment: string;
  version: number;
  value?: string;
  comment: string;
  author: { name: string };
}
interface Version {
  version: number;
  deleted: boolean;
  value?: string;
  author: { name: string };
  createdAt: number;
}

for (const kind of await harness.dialects()) {
  describe(`hush secrets (${kind})`, () => {
    const agentDir = tempDir('agent');
    const t = teamOnRelay(kind, [agentDir]);
    const agent = (args: string[]) => hush(undefined, args, { cwd: agentDir });

    it('set (NAME=- from stdin), get, list with and without values', async () => {
      ok(
        await hush(
          t.alice,
          ['secrets', 'set', 'DB_URL=postgres://db/a', 'API_KEY=-', '--comment', 'main'],
          {
            input: 'k-123-from-stdin\n',
          },
        ),
        'set',
      );
      assert.equal(
        ok(await hush(t.bob, ['secrets', 'get', 'API_KEY']), 'get').stdout,
        'k-123-from-stdin\n',
      );
      assert.equal(
        ok(await hush(t.bob, ['secrets', 'get', 'DB_URL', '--no-newline']), 'get').stdout,
        'postgres://db/a',
      );
      const names = json<Listed[]>(ok(await hush(t.bob, ['secrets', 'list', '--json']), 'list'));
      assert.deepEqual(
        names.map((s) => [s.name, s.version, s.comment, s.author.name, 'value' in s]),
        [
          ['API_KEY', 1, 'main', 'alice', false],
          ['DB_URL', 1, 'main', 'alice', false],
        ],
      );
      const text = ok(await hush(t.bob, ['secrets', 'list']), 'list').stdout;
      assert.ok(!text.includes('postgres://db/a'), 'list shows names only');
      const shown = json<Listed[]>(
        ok(await hush(t.bob, ['secrets', 'list', '--reveal', '--json']), 'list --reveal'),
      );
      assert.deepEqual(
        shown.map((s) => s.value),
        ['k-123-from-stdin', 'postgres://db/a'],
      );
    });

    it('an unchanged value writes nothing; environments are separate', async () => {
      const same = ok(await hush(t.alice, ['secrets', 'set', 'DB_URL=postgres://db/a']), 'again');
      assert.match(same.stderr, /unchanged \(version 1\)/);
      ok(
        await hush(t.alice, ['secrets', 'set', 'DB_URL=postgres://prod', '--env', 'production']),
        'prod',
      );
      assert.equal(
        ok(await hush(t.bob, ['secrets', 'get', 'DB_URL']), 'dev').stdout,
        'postgres://db/a\n',
      );
      assert.equal(
        ok(await hush(t.bob, ['secrets', 'get', 'DB_URL', '--env', 'production']), 'prod').stdout,
        'postgres://prod\n',
      );
      const envs = json<{ name: string; secrets: number }[]>(
        ok(await hush(t.bob, ['secrets', 'envs', '--json']), 'envs'),
      );
      assert.deepEqual(envs.map((e) => [e.name, e.secrets]).sort(), [
        ['development', 2],
        ['production', 1],
      ]);
      fails(
        await hush(t.bob, ['secrets', 'get', 'API_KEY', '--env', 'production']),
        6,
        /no secret API_KEY/,
        'absent',
      );
    });

    it('history with author and time; rm; rollback', async () => {
      ok(await hush(t.bob, ['secrets', 'set', 'DB_URL=postgres://db/b']), 'bob sets');
      ok(await hush(t.alice, ['secrets', 'rm', 'DB_URL']), 'rm');
      fails(await hush(t.bob, ['secrets', 'get', 'DB_URL']), 6, /no secret DB_URL/, 'deleted');
      fails(await hush(t.alice, ['secrets', 'rm', 'DB_URL']), 6, /no secret DB_URL/, 'rm twice');
      const names = json<Listed[]>(ok(await hush(t.bob, ['secrets', 'list', '--json']), 'list'));
      assert.deepEqual(
        names.map((s) => s.name),
        ['API_KEY'],
      );
      const h = json<Version[]>(
        ok(await hush(t.bob, ['secrets', 'history', 'DB_URL', '--json', '--reveal']), 'history'),
      );
      assert.deepEqual(
        h.map((v) => [v.version, v.deleted, v.value, v.author.name]),
        [
          [1, false, 'postgres://db/a', 'alice'],
          [2, false, 'postgres://db/b', 'bob'],
          [3, true, undefined, 'alice'],
        ],
      );
      assert.ok(h.every((v) => v.createdAt > Date.now() - 600_000 && v.createdAt <= Date.now()));
      const table = ok(await hush(t.bob, ['secrets', 'history', 'DB_URL']), 'history text').stdout;
      assert.match(table, /^VERSION\s+TIME\s+BY\s+CHANGE/);
      assert.ok(!table.includes('postgres://'), 'history hides values without --reveal');
      fails(
        await hush(t.alice, ['secrets', 'rollback', 'DB_URL', '3']),
        2,
        /is a deletion/,
        'to a tombstone',
      );
      fails(
        await hush(t.alice, ['secrets', 'rollback', 'DB_URL', '9']),
        6,
        /no version 9/,
        'no such version',
      );
      ok(await hush(t.alice, ['secrets', 'rollback', 'DB_URL', '1']), 'rollback');
      assert.equal(
        ok(await hush(t.bob, ['secrets', 'get', 'DB_URL']), 'get').stdout,
        'postgres://db/a\n',
      );
      const after = json<Version[]>(
        ok(await hush(t.bob, ['secrets', 'history', 'DB_URL', '--json']), 'h'),
      );
      assert.equal(after.length, 4);
    });

    it('two writers racing from the same version: exactly one wins, the other exits 7', async () => {
      ok(await hush(t.alice, ['secrets', 'set', 'RACE=start']), 'start');
      for (let round = 0; round < 2; round++) {
        const base = String(round + 1);
        const [a, b] = await Promise.all([
          hush(t.alice, ['secrets', 'set', `RACE=alice-${round}`, '--if-version', base]),
          hush(t.bob, ['secrets', 'set', `RACE=bob-${round}`, '--if-version', base]),
        ]);
        const codes = [a.code, b.code].sort();
        assert.deepEqual(codes, [0, 7], `round ${round}: ${a.stderr} / ${b.stderr}`);
        const loser = a.code === 7 ? a : b;
        assert.match(
          loser.stderr,
          /^hush: secret RACE \(environment development\) (is at version|was changed by someone else)/,
        );
        const winner = a.code === 0 ? 'alice' : 'bob';
        assert.equal(
          ok(await hush(t.bob, ['secrets', 'get', 'RACE']), 'get').stdout,
          `${winner}-${round}\n`,
        );
      }
    });

    // Input checks, role rules and the exposure list are decided by the client and the
    // chain, not by the storage: once, on SQLite, is enough.
    if (kind === 'sqlite') {
      it('every secrets and kv command has help with examples; completion knows them', async () => {
        const subs = [
          'set',
          'get',
          'list',
          'rm',
          'history',
          'rollback',
          'envs',
          'push',
          'pull',
          'diff',
          'run',
        ];
        for (const c of [
          ...subs.map((x) => ['secrets', x]),
          ...['set', 'get', 'list', 'rm', 'watch'].map((x) => ['kv', x]),
        ]) {
          const r = ok(await hush(t.alice, [...c, '--help']), c.join(' '));
          assert.match(r.stdout, /Examples:\n {2}\S/, `${c.join(' ')} has examples`);
        }
        const bash = ok(await hush(t.alice, ['completion', 'bash']), 'completion').stdout;
        assert.ok(bash.includes(`"secrets") words="${subs.join(' ')}`), 'secrets subcommands');
        assert.match(bash, /"secrets run"\) words="[^"]*--no-mask/);
        assert.match(bash, /"kv"\) words="set get list rm watch/);
      });

      it('bad input: usage errors (exit 2) that never echo a value', async () => {
        fails(
          await hush(t.alice, ['secrets', 'set', 'hunter2-no-name']),
          2,
          /argument 1 is not NAME=VALUE/,
          'no =',
        );
        const r = await hush(t.alice, ['secrets', 'set', 'bad name=x']);
        fails(r, 2, /is not a secret name/, 'bad name');
        fails(await hush(t.alice, ['secrets', 'set', 'A=1', 'A=2']), 2, /given twice/, 'twice');
        fails(
          await hush(t.alice, ['secrets', 'set', 'A=1', 'B=2', '--if-version', '1']),
          2,
          /exactly one/,
          'cas many',
        );
        fails(
          await hush(t.alice, ['secrets', 'set', 'A=1', '--if-version', 'x']),
          2,
          /not a version number/,
          'cas',
        );
        fails(
          await hush(t.alice, ['secrets', 'rollback', 'A', 'zero']),
          2,
          /not a version number/,
          'rb',
        );
        fails(
          await hush(t.alice, ['secrets', 'list', '--team', 'nope']),
          6,
          /no team "nope"/,
          'team',
        );
        const hushed = await hush(t.alice, ['secrets', 'set', 'A=x'], {
          env: { HUSH_TEAM: 'nope' },
        });
        fails(hushed, 6, /no team "nope"/, 'HUSH_TEAM');
      });

      it('an agent may read secrets but not write them (exit 3); it may write kv', async () => {
        const created = json<{ principalId: string }>(
          ok(
            await hush(t.alice, ['agent', 'create', 'ci-bot', '--dir', agentDir, '--json']),
            'agent',
          ),
        );
        ok(
          await hush(t.alice, ['team', 'add', 'core', created.principalId, '--role', 'agent']),
          'add',
        );
        assert.equal(
          ok(await agent(['secrets', 'get', 'API_KEY']), 'agent get').stdout,
          'k-123-from-stdin\n',
        );
        fails(
          await agent(['secrets', 'set', 'API_KEY=stolen']),
          3,
          /role in this team \(agent\) may not write secrets/,
          'agent set',
        );
        fails(await agent(['secrets', 'rm', 'API_KEY']), 3, /may not write secrets/, 'agent rm');
        ok(await agent(['kv', 'set', 'agent/status', '"idle"']), 'agent kv');
        assert.equal(
          ok(await hush(t.bob, ['secrets', 'get', 'API_KEY']), 'unchanged').stdout,
          'k-123-from-stdin\n',
        );
      });

      it('removing a member lists, on stderr, the secrets it could read', async () => {
        const r = ok(await hush(t.alice, ['team', 'remove', 'core', '@bob']), 'remove');
        assert.match(r.stderr, /removed @bob from core; the team key was rotated/);
        assert.match(r.stderr, /@bob could read these 4 secrets: rotate them at their source/);
        for (const line of [
          'development  API_KEY',
          'development  DB_URL',
          'development  RACE',
          'production  DB_URL',
        ])
          assert.ok(r.stderr.includes(`  ${line}\n`), `lists ${line}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.ok(!r.stderr.includes('postgres://'), 'names only');
      });
    }
  });
}
