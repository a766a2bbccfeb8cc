/**
 * A lying relay, seen through the real `hush` binary: a tampering proxy (the SDK tests'
 * proxy, packages/client/test/proxy.ts) sits between bob's CLI and a real relay and rewrites
 * answers. Each attack must end in exit 5 with one line on stderr and nothing on stdout, and
 * the honest path (proxy passing everything through) must still work afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  equalBytes,
  fromBase64url,
  parseLink,
  principalCodec,
  teamCodec,
  toBase64url,
} from '@hush/core';
import { nodeBackend } from '@hush/core/node';
import type * as ProxyModule from '../../client/dist/test/proxy.js';
import { cleanup, harness, hush, oneLine, tempDir, type Result } from './helpers.js';

const { startProxy } = (await import(
  new URL('../../../client/dist/test/proxy.js', import.meta.url).href
)) as typeof ProxyModule;

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** A refused read or write: exit 5, one line, nothing on stdout, no leaked plaintext. */
function refused(r: Result, what: string, why: RegExp, secrets: readonly string[] = []): string {
  assert.equal(r.code, 5, `${what}: expected exit 5, got ${r.code}: ${r.stderr}${r.stdout}`);
  const line = oneLine(r);
  assert.match(line, /^hush: \S/);
  assert.match(line, why, what);
  for (const s of secrets) assert.ok(!line.includes(s), `${what}: the error shows "${s}"`);
  return line;
}

interface Msg {
  id: string;
  text: string;
}
interface Links {
  links: string[];
  fromSeq: number;
}

/** Swaps the envelopes of the first two entries of a list in a JSON answer. */
function swapFirstTwo<T extends { envelope: string }>(list: T[]): T[] | undefined {
  const [x, y, ...rest] = list;
  if (!x || !y) return undefined;
  return [{ ...x, envelope: y.envelope }, { ...y, envelope: x.envelope }, ...rest];
}

describe('hush against a tampering relay', () => {
  const storage = new harness.Storage('sqlite');
  let server: Awaited<ReturnType<typeof harness.spawnServer>>;
  let proxy: ProxyModule.Proxy;
  const alice = tempDir('t-alice');
  const bob = tempDir('t-bob');
  const carol = tempDir('t-carol');
  const mallory = tempDir('t-mallory');
  let teamId = '';
  let aliceId = '';
  let malloryId = '';
  const teamLinks = () => `/v1/teams/${teamId}/links`;

  async function principalLinks(id: string): Promise<string[]> {
    const r = await fetch(`${server.url}/v1/principals/${id}/links?since=0`);
    assert.equal(r.status, 200);
    return ((await r.json()) as Links).links;
  }

  const bobInbox = async () =>
    (JSON.parse(ok(await hush(bob, ['inbox', '--json']), 'bob inbox').stdout) as Msg[]).map(
      (m) => m.text,
    );

  before(async () => {
    server = await harness.spawnServer(storage);
    proxy = await startProxy(server.url);
    // bob and mallory talk to the relay through the proxy; alice and carol directly.
    ok(await hush(alice, ['init', '--name', 'alice', '--server', server.url]), 'alice init');
    ok(await hush(carol, ['init', '--name', 'carol', '--server', server.url]), 'carol init');
    ok(await hush(bob, ['init', '--name', 'bob', '--server', proxy.url]), 'bob init');
    ok(await hush(mallory, ['init', '--name', 'mallory', '--server', proxy.url]), 'mallory');
    const who = (home: string) =>
      hush(home, ['whoami', '--json']).then(
        (r) => (JSON.parse(ok(r, 'whoami').stdout) as { principalId: string }).principalId,
      );
    aliceId = await who(alice);
    malloryId = await who(mallory);
    teamId = ok(await hush(alice, ['team', 'create', 'core']), 'team create').stdout.trim();
  });
  after(async () => {
    proxy.tamper = undefined;
    await proxy.close();
    await server.stop();
    await storage.destroy();
    cleanup(alice, bob, carol, mallory);
  });

  it('join: a substituted member key or a substituted team is refused (exit 5)', async () => {
    const token = ok(await hush(alice, ['team', 'invite', 'core']), 'invite').stdout.trim();
    const honest = await principalLinks(aliceId);
    const forged = await principalLinks(malloryId);

    // 1. alice's genesis with mallory's signing key in place of alice's.
    const genesis = fromBase64url(honest[0] as string);
    const body = (await parseLink(nodeBackend, principalCodec, genesis)).body;
    const fake = (await parseLink(nodeBackend, principalCodec, fromBase64url(forged[0] as string)))
      .body;
    assert.ok(body.type === 'genesis' && fake.type === 'genesis');
    const at = genesis.findIndex((_, i) => equalBytes(genesis.subarray(i, i + 32), body.sigPk));
    assert.ok(at > 0, 'the signing key is in the link');
    const swapped = genesis.slice();
    swapped.set(fake.sigPk, at);
    const alicePath = `/v1/principals/${aliceId}/links`;
    proxy.tamper = (m, p, b) =>
      m === 'GET' && p === alicePath
        ? { ...(b as Links), links: [toBase64url(swapped), ...honest.slice(1)] }
        : undefined;
    refused(
      await hush(bob, ['join', token]),
      'substituted device key',
      /principal \S+ does not verify/,
    );

    // 2. mallory's whole (valid, self-signed) identity served as alice's.
    proxy.tamper = (m, p, b) =>
      m === 'GET' && p === alicePath ? { ...(b as Links), links: forged } : undefined;
    refused(
      await hush(bob, ['join', token]),
      'substituted identity',
      /principal \S+ does not verify/,
    );

    // 3. another (valid) team's chain in the invite preview: not the team the token names.
    let otherLinks: string[] = [];
    proxy.tamper = (m, p, b) => {
      if (m === 'GET' && p.endsWith('/links') && p.startsWith('/v1/teams/'))
        otherLinks = (b as Links).links;
      return undefined;
    };
    ok(await hush(mallory, ['team', 'create', 'decoy']), 'decoy');
    ok(await hush(mallory, ['team', 'show', 'decoy']), 'decoy show');
    assert.ok(otherLinks.length > 0, 'recorded the decoy chain');
    proxy.tamper = (m, p, b) =>
      m === 'POST' && p === `/v1/teams/${teamId}/invite-preview`
        ? { ...(b as object), links: otherLinks }
        : undefined;
    refused(await hush(bob, ['join', token]), 'substituted team', /team \S+ does not verify/);

    // The honest path: the same token still works, and alice is alice.
    proxy.tamper = undefined;
    ok(await hush(bob, ['join', token]), 'honest join');
    const show = JSON.parse(
      ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show').stdout,
    ) as { memberList: { principalId: string; name: string }[] };
    assert.deepEqual(show.memberList.map((m) => m.name).sort(), ['alice', 'bob']);
    assert.ok(show.memberList.some((m) => m.principalId === aliceId && m.name === 'alice'));
  });

  it('a ciphertext swapped between two messages is refused (exit 5)', async () => {
    ok(await hush(alice, ['send', 'core', 'swap one']), 'send');
    ok(await hush(alice, ['send', 'core', 'swap two']), 'send');
    proxy.tamper = (m, p, b) => {
      if (m !== 'GET' || p !== `/v1/teams/${teamId}/objects`) return undefined;
      const body = b as { objects: { envelope: string }[] };
      const objects = swapFirstTwo(body.objects);
      return objects && { ...body, objects };
    };
    const secrets = ['swap one', 'swap two'];
    const badObject = /team object \S+ does not verify/;
    refused(await hush(bob, ['inbox']), 'team inbox', badObject, secrets);
    refused(await hush(bob, ['inbox', '--json']), 'team inbox --json', badObject, secrets);
    refused(await hush(bob, ['inbox', '--team', 'core']), 'inbox --team', badObject, secrets);

    ok(await hush(alice, ['send', '@bob', 'direct one']), 'direct');
    ok(await hush(alice, ['send', '@bob', 'direct two']), 'direct');
    proxy.tamper = (m, p, b) => {
      if (m !== 'GET' || p !== '/v1/inbox') return undefined;
      const body = b as { items: { envelope: string }[] };
      const items = swapFirstTwo(body.items);
      return items && { ...body, items };
    };
    // The team objects verify now (and are kept); the direct inbox does not.
    refused(await hush(bob, ['inbox']), 'direct inbox', /direct message \S+ does not verify/, [
      'direct one',
      'direct two',
    ]);

    proxy.tamper = undefined;
    const texts = await bobInbox();
    for (const t of [...secrets, 'direct one', 'direct two'])
      assert.equal(texts.filter((x) => x === t).length, 1, `"${t}" once`);
  });

  it('a removal served without its rotation is refused (exit 5)', async () => {
    const token = ok(await hush(alice, ['team', 'invite', 'core']), 'invite').stdout.trim();
    ok(await hush(carol, ['join', token]), 'carol joins');
    await bobInbox(); // bob pins the chain with carol in it
    const carolId = (
      JSON.parse(ok(await hush(carol, ['whoami', '--json']), 'whoami').stdout) as {
        principalId: string;
      }
    ).principalId;
    ok(await hush(alice, ['team', 'remove', 'core', carolId]), 'remove carol');
    ok(await hush(alice, ['send', 'core', 'after removal']), 'send');

    const noRotation = /not followed by a key rotation/;
    let served: string[] = [];
    proxy.tamper = (m, p, b) => {
      if (m !== 'GET' || p !== teamLinks()) return undefined;
      served = (b as Links).links;
      return { ...(b as Links), links: served.slice(0, -1) };
    };
    refused(await hush(bob, ['inbox']), 'inbox', noRotation, ['after removal']);
    refused(await hush(bob, ['team', 'show', 'core']), 'team show', noRotation);
    refused(await hush(bob, ['send', 'core', 'to whom?']), 'send', noRotation);
    // What was dropped is the rotation that follows the removal.
    const types = await Promise.all(
      served
        .slice(-2)
        .map(async (l) => (await parseLink(nodeBackend, teamCodec, fromBase64url(l))).body.type),
    );
    assert.deepEqual(types, ['remove-member', 'rotate-key']);
    const queued = JSON.parse(
      ok(await hush(bob, ['outbox', 'list', '--json']), 'outbox').stdout,
    ) as unknown[];
    assert.equal(queued.length, 0, 'a refused send is not queued');

    proxy.tamper = undefined;
    assert.ok((await bobInbox()).includes('after removal'));
    const show = JSON.parse(
      ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show').stdout,
    ) as { generation: number; memberList: { name: string }[] };
    assert.equal(show.generation, 2);
    assert.ok(!show.memberList.some((m) => m.name === 'carol'));
  });

  it('a team chain rolled back below the pin is refused (exit 5)', async () => {
    ok(await hush(alice, ['send', 'core', 'behind the pin']), 'send');
    // The relay pretends the chain ends before the link bob has pinned.
    proxy.tamper = (m, p, b) =>
      m === 'GET' && p === teamLinks() ? { ...(b as Links), links: [] } : undefined;
    refused(await hush(bob, ['inbox']), 'inbox', /rollback/, ['behind the pin']);
    refused(await hush(bob, ['team', 'show', 'core']), 'team show', /rollback/);
    refused(await hush(bob, ['send', 'core', 'x']), 'send', /rollback/);

    // Or it serves an older prefix of the chain from the start.
    proxy.tamper = (m, p, b) => {
      if (m !== 'GET' || p !== teamLinks()) return undefined;
      return { fromSeq: 0, links: (b as Links).links.slice(0, 1) };
    };
    refused(await hush(bob, ['inbox']), 'inbox, old prefix', /team chain/, ['behind the pin']);

    proxy.tamper = undefined;
    assert.ok((await bobInbox()).includes('behind the pin'));
    ok(await hush(bob, ['send', 'core', 'still fine']), 'honest send');
  });
});
