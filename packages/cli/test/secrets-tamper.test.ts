/**
 * Secrets against a lying relay, through the real binary: a tampering proxy (the SDK tests'
 * proxy) sits between bob and a real relay. Serving an older version of a secret after a
 * newer one, claiming a lower current version on a write, and moving a ciphertext from one
 * secret to another all end in exit 5 with one line and no value shown; a stale view meets
 * the relay's compare-and-set (exit 7). The honest path works afterwards. The proxy also
 * shows that `secrets run` signs in with nothing when the last command saved a token.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CachedObject } from '../../client/dist/src/state.js';
import type * as ProxyModule from '../../client/dist/test/proxy.js';
import { cleanup, harness, hush } from './helpers.js';
import { fails, ok, teamOfTwo, type TeamOfTwo } from './team-fixture.js';

const { startProxy } = (await import(
  new URL('../../../client/dist/test/proxy.js', import.meta.url).href
)) as typeof ProxyModule;

type Item = CachedObject;
type Page = { objects: Item[]; next: number };

describe('hush secrets against a tampering relay', () => {
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  let proxy: ProxyModule.Proxy;
  let t: TeamOfTwo;
  /** Every secret version the relay served bob, by objectId and version. */
  const seen = new Map<string, Item>();
  const objectsPath = () => `/v1/teams/${t.teamId}/objects`;
  const values = ['first-value-1', 'second-value-2', 'third-value-3', 'other-value-9'];

  /** Rewrites bob's next object pages with `f` (recording every item first). */
  function rewrite(f: (items: Item[]) => Item[]): void {
    proxy.tamper = (m, p, b) => {
      if (m !== 'GET' || p !== objectsPath()) return undefined;
      const page = b as Page;
      for (const o of page.objects) seen.set(`${o.objectId}:${o.version}`, o);
      return { ...page, objects: f(page.objects) };
    };
  }

  before(async () => {
    server = await harness.spawnServer(storage);
    proxy = await startProxy(server.url);
    t = await teamOfTwo(server.url, proxy.url);
  });
  beforeEach(() => rewrite((x) => x));
  after(async () => {
    await proxy.close();
    await server.stop();
    await storage.destroy();
    cleanup(t.alice, t.bob);
  });

  it('an older version served after a newer one is a rollback (exit 5)', async () => {
    ok(await hush(t.alice, ['secrets', 'set', `KEY=${values[0]}`]), 'v1');
    ok(await hush(t.alice, ['secrets', 'set', `KEY=${values[1]}`]), 'v2');
    assert.equal(
      ok(await hush(t.bob, ['secrets', 'get', 'KEY']), 'bob v2').stdout,
      `${values[1]}\n`,
    );
    ok(await hush(t.alice, ['secrets', 'set', `KEY=${values[2]}`]), 'v3');
    const v1 = [...seen.values()].find((o) => o.version === 1 && o.collection === 4);
    assert.ok(v1, 'recorded version 1');
    // The relay answers with version 1 again where version 3 belongs.
    rewrite((items) =>
      items.map((o) =>
        o.objectId === v1.objectId ? { ...o, version: 1, envelope: v1.envelope } : o,
      ),
    );
    for (const args of [
      ['secrets', 'get', 'KEY'],
      ['secrets', 'list'],
      ['secrets', 'run', '--', 'true'],
    ]) {
      const line = fails(
        await hush(t.bob, args),
        5,
        /after version 2 \(rollback\)/,
        args.join(' '),
      );
      for (const v of values) assert.ok(!line.includes(v), `${args.join(' ')} shows a value`);
    }
    rewrite((x) => x);
    assert.equal(
      ok(await hush(t.bob, ['secrets', 'get', 'KEY']), 'honest').stdout,
      `${values[2]}\n`,
    );
  });

  it('a relay claiming a lower current version on a write is a rollback (exit 5)', async () => {
    proxy.block = (m, p) =>
      m === 'PUT' && p.startsWith(`${objectsPath()}/`)
        ? {
            status: 409,
            body: {
              error: {
                code: 'HUSH_ERR_VERSION_CONFLICT',
                message: 'the version moved on',
                currentVersion: 1,
              },
            },
          }
        : undefined;
    try {
      fails(
        await hush(t.bob, ['secrets', 'set', 'KEY=bob-writes-this']),
        5,
        /claims version 1 of secret KEY .* below version 3 this device verified \(rollback\)/,
        'lower version',
      );
    } finally {
      proxy.block = undefined;
    }
  });

  it('a stale view meets the compare-and-set of the relay (exit 7), then succeeds', async () => {
    ok(await hush(t.alice, ['secrets', 'set', `KEY=${values[3]}`]), 'v4 by alice');
    // bob is not shown version 4 (the newest item), so he writes version 4 himself.
    rewrite((items) => items.filter((o) => o.version !== 4));
    fails(
      await hush(t.bob, ['secrets', 'set', 'KEY=bob-on-a-stale-base']),
      7,
      /secret KEY \(environment development\) was changed by someone else \(version 4 is current, this write was based on version 3\)/,
      'stale',
    );
    rewrite((x) => x);
    ok(await hush(t.bob, ['secrets', 'set', 'KEY=bob-on-a-fresh-base']), 'fresh');
    assert.equal(
      ok(await hush(t.alice, ['secrets', 'get', 'KEY']), 'get').stdout,
      'bob-on-a-fresh-base\n',
    );
  });

  it('secrets run uses the access token the last command saved: no sign-in, no refresh', async () => {
    ok(await hush(t.bob, ['secrets', 'list']), 'a command that saves a fresh token');
    proxy.seen.splice(0);
    ok(await hush(t.bob, ['secrets', 'run', '--', 'true']), 'run');
    const paths = proxy.seen.map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.length > 0 && !paths.some((p) => p.includes('/v1/auth/')), paths.join(', '));
  });

  it('a ciphertext moved to another secret is refused (exit 5)', async () => {
    ok(await hush(t.alice, ['secrets', 'set', 'OTHER=other-value-x']), 'other');
    ok(await hush(t.alice, ['secrets', 'set', 'KEY=key-value-y']), 'key');
    // The newest version of KEY carries the envelope of OTHER's first version.
    rewrite((items) => {
      const other = items.find((o) => o.version === 1);
      return items.map((o) => (o.version > 1 && other ? { ...o, envelope: other.envelope } : o));
    });
    const line = fails(await hush(t.bob, ['secrets', 'get', 'KEY']), 5, /does not verify/, 'moved');
    assert.ok(!line.includes('other-value-x') && !line.includes('key-value-y'));
    rewrite((x) => x);
    assert.equal(
      ok(await hush(t.bob, ['secrets', 'get', 'OTHER']), 'honest').stdout,
      'other-value-x\n',
    );
  });
});
