/**
 * `hush kv set|get|list|rm|watch` end to end against a real relay: JSON kept as written,
 * compare-and-set, reserved keys, a reader's write refused, and changes printed live over
 * SSE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hush, watchProcess } from './helpers.js';
import { fails, json, ok, teamOnRelay } from './team-fixture.js';

interface Entry {
  key: string;
  value: unknown;
  json: string;
  version: number;
  author: { name: string };
}

// SQLite only: kv shares its writes, versions and compare-and-set with secrets, which
// secrets.test.ts runs on both dialects; push over PostgreSQL is covered by the watch suites.
describe('hush kv', () => {
  const t = teamOnRelay('sqlite');

  it('JSON round trip: the text as written, the value parsed; --string; stdin', async () => {
    const text = '{ "a": [1, 2.5e3, null], "s": "x\\ny", "u": "é😀" }';
    ok(await hush(t.alice, ['kv', 'set', 'config/app', text]), 'set');
    assert.equal(ok(await hush(t.bob, ['kv', 'get', 'config/app']), 'get').stdout, `${text}\n`);
    const e = json<Entry>(
      ok(await hush(t.bob, ['kv', 'get', 'config/app', '--json']), 'get --json'),
    );
    assert.deepEqual(e.value, { a: [1, 2500, null], s: 'x\ny', u: 'é😀' });
    assert.equal(e.version, 1);
    assert.equal(e.author.name, 'alice');
    ok(await hush(t.bob, ['kv', 'set', 'note', '--string', 'say "hi"']), 'string');
    assert.equal(ok(await hush(t.alice, ['kv', 'get', 'note']), 'get').stdout, '"say \\"hi\\""\n');
    ok(await hush(t.bob, ['kv', 'set', 'count', '-'], { input: '42\n' }), 'stdin');
    const list = json<Entry[]>(ok(await hush(t.alice, ['kv', 'list', '--json']), 'list'));
    assert.deepEqual(
      list.map((x) => [x.key, x.value]),
      [
        ['config/app', { a: [1, 2500, null], s: 'x\ny', u: 'é😀' }],
        ['count', 42],
        ['note', 'say "hi"'],
      ],
    );
  });

  it('refuses what is not JSON, and reserved hush: keys (exit 2)', async () => {
    fails(await hush(t.alice, ['kv', 'set', 'bad', "{'a': 1}"]), 2, /not valid JSON/, 'json');
    fails(await hush(t.alice, ['kv', 'set', 'bad', '']), 2, /not valid JSON/, 'empty');
    fails(await hush(t.alice, ['kv', 'set', 'hush:agent-secrets:x', '{}']), 2, /reserved/, 'set');
    fails(await hush(t.alice, ['kv', 'rm', 'hush:agent-secrets:x']), 2, /reserved/, 'rm');
    fails(await hush(t.alice, ['kv', 'get', 'never-set']), 6, /no key never-set/, 'get');
  });

  it('compare-and-set: a stale --if-version is a conflict (exit 7); racers: one wins', async () => {
    fails(
      await hush(t.alice, ['kv', 'set', 'count', '1', '--if-version', '0']),
      7,
      /key count is at version 1, not 0/,
      'exists',
    );
    ok(await hush(t.alice, ['kv', 'set', 'lock', '"free"', '--if-version', '0']), 'create');
    const [a, b] = await Promise.all([
      hush(t.alice, ['kv', 'set', 'lock', '"alice"', '--if-version', '1']),
      hush(t.bob, ['kv', 'set', 'lock', '"bob"', '--if-version', '1']),
    ]);
    assert.deepEqual([a.code, b.code].sort(), [0, 7], `${a.stderr} / ${b.stderr}`);
    const winner = a.code === 0 ? 'alice' : 'bob';
    assert.equal(ok(await hush(t.bob, ['kv', 'get', 'lock']), 'get').stdout, `"${winner}"\n`);
    fails(
      await hush(t.bob, ['kv', 'rm', 'lock', '--if-version', '1']),
      7,
      /at version 2, not 1/,
      'rm',
    );
    ok(await hush(t.bob, ['kv', 'rm', 'lock', '--if-version', '2']), 'rm');
    fails(await hush(t.bob, ['kv', 'get', 'lock']), 6, /no key lock/, 'deleted');
    ok(await hush(t.bob, ['kv', 'set', 'lock', '"again"', '--if-version', '3']), 'set after rm');
  });

  it('watch prints changes as they happen', async () => {
    const w = watchProcess(t.bob, ['kv', 'watch', '--json']);
    try {
      await w.waitFor((l) => l.includes('"ready"'));
      ok(await hush(t.alice, ['kv', 'set', 'live', '{"n": 1}']), 'set');
      const set = JSON.parse(await w.waitFor((l) => l.includes('"live"'))) as {
        type: string;
        entry: Entry;
      };
      assert.equal(set.type, 'set');
      assert.equal(set.entry.json, '{"n": 1}');
      ok(await hush(t.alice, ['kv', 'rm', 'live']), 'rm');
      const gone = JSON.parse(await w.waitFor((l) => l.includes('"deleted"'))) as {
        key: string;
        version: number;
      };
      assert.deepEqual([gone.key, gone.version], ['live', 2]);
    } finally {
      assert.equal(await w.stop(), 0);
    }
  });

  it('a reader may read but not write (exit 3)', async () => {
    ok(await hush(t.alice, ['team', 'role', 'core', '@bob', 'reader']), 'demote');
    assert.equal(ok(await hush(t.bob, ['kv', 'get', 'count']), 'read').stdout, '42\n');
    fails(
      await hush(t.bob, ['kv', 'set', 'count', '43']),
      3,
      /role in this team \(reader\) may not write kv entries/,
      'write',
    );
  });
});
