/**
 * Attack classes 14 and 15 through the real binary: what a relay can learn by looking, not
 * lying. A full session (messages, a direct message, a snippet, secrets, kv, files, a
 * rotation, a refused attack) against a relay logging at debug, then every plaintext, name
 * and key is searched for in its log, its data directory, the URLs and error answers it saw,
 * and the clients' error lines. And identical content in two teams must not be linkable by
 * ids, blind indexes or ciphertexts (sizes are equal by design).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromBase64url, toBase64url, toHex } from '@hush/core';
import type { StateData } from '../../../client/dist/src/state.js';
import { hush, type Result } from '../helpers.js';
import { flipBit, ciphertextAt, headerOf } from './forge.js';
import { attackScene, ok, pendingObjects, refused, type Row } from './scene.js';

/** Every file under `dir`, as bytes. */
function filesUnder(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(readFileSync(p));
  }
  return out;
}

/** Keys and tokens a home holds, in base64url and hex (tokens as their text). */
function keysOf(home: string): string[] {
  const state = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as StateData;
  const id = JSON.parse(readFileSync(join(home, 'identity.json'), 'utf8')) as {
    clear: { sigSeed: string; kemSk: string };
  };
  const raw = [fromBase64url(id.clear.sigSeed), fromBase64url(id.clear.kemSk)];
  for (const t of Object.values(state.teams))
    for (const k of Object.values(t.keys)) raw.push(fromBase64url(k.slice(2)));
  const tokens = [state.refreshToken, state.accessToken]
    .filter((t): t is string => t !== undefined)
    .map((t) => Buffer.from(fromBase64url(t.slice(2))).toString('utf8'));
  return [...raw.flatMap((k) => [toBase64url(k), toHex(k)]), ...tokens];
}

describe('attack classes 14, 15: what the relay sees', () => {
  const s = attackScene({ serverArgs: ['--log-level', 'debug'] });

  it('class 14: no key, token, name or plaintext reaches the relay log, its data, URLs or error texts', async () => {
    /** Error lines of failed commands (notes of successful ones are the user's own output). */
    const errors: string[] = [];
    const answers: string[] = [];
    s.proxy.tamperBytes = (_m, _p, answer) => {
      if (answer.status >= 400) answers.push(answer.body.toString('utf8'));
      return undefined;
    };
    // alice also goes through the proxy for this session, so every URL is seen.
    const run = async (home: string, args: string[], what = args.join(' ')): Promise<Result> => {
      const viaProxy = home === s.alice ? ['--server', s.proxy.url, ...args] : args;
      return ok(await hush(home, viaProxy), what);
    };
    const plain = {
      team: 'zeta-planning-team',
      message: 'the launch moves to thursday-7731',
      direct: 'my direct note-5524 to bob',
      secretName: 'STRIPE_LIVE_KEY_9931',
      secretValue: 'sk-live-value-0a9f8e7d',
      kvKey: 'deploy/lock-8813',
      kvValue: 'held-by-ci-runner-4410',
      fileName: 'quarterly-plan-2291.txt',
      fileText: 'confidential file body 6612',
      snippetText: 'const apiSecretCode6671 = 1;',
      comment: 'rotated-after-incident-3319',
    };
    const teamId = (await run(s.alice, ['team', 'create', plain.team])).stdout.trim();
    const invite = (await run(s.alice, ['team', 'invite', plain.team])).stdout.trim();
    await run(s.bob, ['join', invite]);
    const T = ['--team', plain.team];
    await run(s.alice, ['send', plain.team, plain.message]);
    await run(s.alice, ['send', '@bob', plain.direct]);
    await run(s.alice, [
      'secrets',
      'set',
      ...T,
      `${plain.secretName}=${plain.secretValue}`,
      '--comment',
      plain.comment,
    ]);
    await run(s.alice, ['kv', 'set', ...T, plain.kvKey, JSON.stringify(plain.kvValue)]);
    writeFileSync(join(s.work, plain.fileName), plain.fileText);
    await run(s.alice, ['file', 'put', ...T, join(s.work, plain.fileName)]);
    writeFileSync(join(s.work, 'snippet.ts'), `${plain.snippetText}\n`);
    await run(s.alice, ['share', join(s.work, 'snippet.ts'), '--to', plain.team]);
    await run(s.alice, ['team', 'rotate', plain.team]);
    const inbox = (await run(s.bob, ['inbox', '--json'])).stdout;
    assert.ok(inbox.includes(plain.message) && inbox.includes(plain.direct));
    assert.equal(
      (await run(s.bob, ['secrets', 'get', ...T, plain.secretName])).stdout.trim(),
      plain.secretValue,
    );
    await run(s.bob, ['kv', 'get', ...T, plain.kvKey]);
    await run(s.bob, ['file', 'get', ...T, plain.fileName, '--out', join(s.work, 'copy.txt')]);
    await run(s.bob, ['snippets', '--json']);
    // A refused read: its error line, too, must hold nothing secret.
    ok(
      await hush(s.alice, ['secrets', 'set', ...T, `${plain.secretName}=${plain.secretValue}-2`]),
      'v2',
    );
    const [v2] = (await pendingObjects(s, s.bob, teamId)) as [Row];
    s.proxy.tamper = (m, p, body) =>
      m === 'GET' && p === `/v1/teams/${teamId}/objects`
        ? {
            ...(body as object),
            objects: (body as { objects: Row[] }).objects.map((o) =>
              o.seq === v2.seq
                ? { ...o, envelope: flipBit(o.envelope, ciphertextAt(o.envelope)) }
                : o,
            ),
          }
        : undefined;
    const refusal = await refused(
      s.bob,
      ['secrets', 'get', ...T, plain.secretName],
      /does not verify/,
    );
    errors.push(refusal.line);
    s.honest();
    // A relay error, and a bad request, as the relay words them.
    const bad = await hush(s.bob, ['kv', 'get', ...T, 'never-set-key-1177']);
    assert.equal(bad.code, 6);
    errors.push(bad.stderr);

    const keys = [...keysOf(s.alice), ...keysOf(s.bob)];
    assert.equal(keys.filter((k) => /^h[ar]t_/.test(k)).length, 4, 'both homes hold both tokens');
    const secrets = [...Object.values(plain), invite, ...keys];
    const log = [...s.server.stdout, ...s.server.stderr].join('');
    assert.ok(
      log.includes('"level":20') || log.includes('incoming request'),
      'the relay logged at debug',
    );
    const urls = s.proxy.seen.map((r) => `${r.method} ${r.path}?${r.query}`).join('\n');
    assert.ok(s.proxy.seen.length > 50, `a full session: ${s.proxy.seen.length} requests`);
    const data = Buffer.concat(filesUnder(s.dataDir));
    // The searches can find things: ids are there, as they should be.
    assert.ok(urls.includes(teamId), 'the team id is in the URLs');
    assert.ok(
      data.includes(Buffer.from(fromBase64url(s.aliceId))),
      'principal ids are in the data',
    );
    const places: [string, string | Buffer][] = [
      ['the relay log', log],
      ['the URLs', urls],
      ['the relay error answers', answers.join('\n')],
      ['the client error lines', errors.join('\n')],
      ['the relay data directory', data],
    ];
    for (const secret of secrets)
      for (const [where, text] of places)
        assert.ok(
          typeof text === 'string' ? !text.includes(secret) : !text.includes(Buffer.from(secret)),
          `${where} holds ${secret.slice(0, 12)}...`,
        );
  });

  it('class 15: identical content in two teams gives unlinkable ids, blind indexes and ciphertexts, of equal sizes', async () => {
    const teams = ['twin-a', 'twin-b'];
    const ids: string[] = [];
    for (const t of teams) {
      ids.push(ok(await hush(s.alice, ['team', 'create', t]), t).stdout.trim());
      ok(
        await hush(s.bob, [
          'join',
          ok(await hush(s.alice, ['team', 'invite', t]), 'inv').stdout.trim(),
        ]),
        'join',
      );
    }
    writeFileSync(join(s.work, 'same.bin'), 'the same bytes in both teams\n'.repeat(5000));
    for (const t of teams) {
      const T = ['--team', t];
      ok(await hush(s.alice, ['send', t, 'the very same message']), 'send');
      ok(await hush(s.alice, ['secrets', 'set', ...T, 'SAME_NAME=same-value']), 'secret');
      ok(await hush(s.alice, ['kv', 'set', ...T, 'same/key', '"same value"']), 'kv');
      ok(await hush(s.alice, ['file', 'put', ...T, join(s.work, 'same.bin')]), 'file');
    }
    const blobs = new Map<string, Buffer>();
    s.proxy.tamperBytes = (m, p, answer) => {
      if (m === 'GET' && p.startsWith('/v1/blobs/')) blobs.set(p, answer.body);
      return undefined;
    };
    const rows: Row[][] = [];
    for (const [i, t] of teams.entries()) {
      rows.push(await pendingObjects(s, s.bob, ids[i] as string));
      ok(
        await hush(s.bob, [
          'file',
          'get',
          '--team',
          t,
          'same.bin',
          '--out',
          join(s.work, `${t}.bin`),
        ]),
        'get',
      );
    }
    s.honest();
    const [a, bb] = rows as [Row[], Row[]];
    assert.equal(a.length, 4);
    assert.equal(bb.length, 4);
    for (const [x, y] of a.map((r, i) => [r, bb[i] as Row] as const)) {
      assert.equal(x.collection, y.collection);
      assert.notEqual(x.objectId, y.objectId, 'object ids differ');
      if (x.blindIndex !== null)
        assert.notEqual(x.blindIndex, y.blindIndex, 'blind indexes differ');
      const [hx, hy] = [headerOf(x.envelope), headerOf(y.envelope)];
      assert.notEqual(toBase64url(hx.keySalt), toBase64url(hy.keySalt));
      assert.notEqual(toBase64url(hx.keyCommit), toBase64url(hy.keyCommit));
      const [cx, cy] = [x, y].map((r) =>
        fromBase64url(r.envelope).subarray(ciphertextAt(r.envelope), -64),
      );
      assert.ok(cx && cy && !Buffer.from(cx).equals(Buffer.from(cy)), 'ciphertexts differ');
      assert.equal(x.envelope.length, y.envelope.length, 'sizes are equal, by design');
    }
    const [ba, bz] = [...blobs.entries()] as [[string, Buffer], [string, Buffer]];
    assert.notEqual(ba[0], bz[0], 'blob ids differ');
    assert.equal(ba[1].length, bz[1].length, 'blob sizes are equal, by design');
    assert.ok(!ba[1].equals(bz[1]), 'blob ciphertexts differ');
    assert.ok(!ba[1].subarray(0, 64).equals(bz[1].subarray(0, 64)), 'even the first chunk');
  });
});
