/**
 * What a process that reopens a home does not redo (docs/CLIENT.md, "Reopening"): it reuses
 * the stored access token until it expires, reads each thing once per sync, writes no state
 * when nothing changed, and replays stored chains and envelopes with every check but their
 * signatures; and what it still catches: a refused token, a changed link, a changed byte of
 * a cached ciphertext.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBase64url, toBase64url } from '@hush/core';
import { Hush, LocalStateError, VerificationError } from '../src/index.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

/** A fetch that records `METHOD path?query` of every request. */
function recording(): { fetch: typeof fetch; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    fetch: (input, init) => {
      const u = new URL(String(input));
      seen.push(`${init?.method ?? 'GET'} ${u.pathname}${u.search}`);
      return fetch(input, init);
    },
  };
}

const stateOf = (home: string) =>
  JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as {
    accessToken?: string;
    teams: Record<string, { links: string[]; objects: { envelope: string }[] }>;
  };

for (const kind of await dialects())
  describe(`reopening a home on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let alice: Hush;
    let bobHome: string;
    let teamId: string;
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      alice = await person(server.url, 'alice');
      const bob = await person(server.url, 'bob');
      bobHome = bob.whoami().home;
      teamId = (await alice.teams.create('reopen')).id;
      await bob.join(await alice.teams.invite(teamId));
      for (let i = 0; i < 3; i++) await alice.messages.send(teamId, { text: `m${i}` });
      await alice.messages.send('@bob', { text: 'direct' });
      assert.equal((await bob.messages.inbox()).length, 4);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('reuses the stored access token: no sign-in, each read once, no state write', async () => {
      const before = statSync(join(bobHome, 'state.json'));
      const r = recording();
      const bob = await Hush.open({ home: bobHome, fetch: r.fetch });
      assert.deepEqual(
        (await bob.messages.inbox()).map((m) => m.text),
        ['m0', 'm1', 'm2', 'direct'],
      );
      assert.ok(!r.seen.some((s) => s.includes('/v1/auth/')), r.seen.join('\n'));
      assert.equal(new Set(r.seen).size, r.seen.length, `a read twice:\n${r.seen.join('\n')}`);
      for (const p of ['/v1/teams', `/v1/teams/${teamId}/links`, '/v1/inbox'])
        assert.ok(
          r.seen.some((s) => s.startsWith(`GET ${p}`)),
          p,
        );
      const now = statSync(join(bobHome, 'state.json'));
      assert.equal(now.ino, before.ino, 'state.json was not rewritten');
      assert.equal(now.mtimeMs, before.mtimeMs);
    });

    it('a stored access token the relay refuses costs one refresh, then works', async () => {
      const file = join(bobHome, 'state.json');
      const s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      s.accessToken = `c:${toBase64url(new TextEncoder().encode('hat_not-a-token'))}`;
      writeFileSync(file, JSON.stringify(s, null, 2) + '\n');
      const r = recording();
      const bob = await Hush.open({ home: bobHome, fetch: r.fetch });
      assert.equal((await bob.messages.inbox()).length, 4);
      assert.equal(r.seen.filter((x) => x.startsWith('POST /v1/auth/refresh')).length, 1);
      const again = recording();
      await (await Hush.open({ home: bobHome, fetch: again.fetch })).messages.inbox();
      assert.ok(!again.seen.some((x) => x.includes('/v1/auth/')), 'the new token was kept');
    });

    it('a stored link with a changed byte does not load', async () => {
      const home = alice.whoami().home;
      const file = join(home, 'state.json');
      const saved = readFileSync(file, 'utf8');
      const s = stateOf(home);
      const rec = s.teams[teamId] as { links: string[] };
      const link = fromBase64url(rec.links[0] as string);
      link[40] = (link[40] as number) ^ 1; // inside the signed body, not a signature
      rec.links[0] = toBase64url(link);
      writeFileSync(file, JSON.stringify(s));
      try {
        await assert.rejects(Hush.open({ home }), LocalStateError);
      } finally {
        writeFileSync(file, saved);
      }
    });

    it('a cached envelope with a changed ciphertext byte is refused on read', async () => {
      const file = join(bobHome, 'state.json');
      const s = stateOf(bobHome);
      const obj = (s.teams[teamId] as { objects: { envelope: string }[] }).objects[0] as {
        envelope: string;
      };
      const env = fromBase64url(obj.envelope);
      env[env.length - 80] = (env[env.length - 80] as number) ^ 1; // the ciphertext, not the signature
      obj.envelope = toBase64url(env);
      writeFileSync(file, JSON.stringify(s));
      const bob = await Hush.open({ home: bobHome });
      await assert.rejects(bob.messages.inbox({ offline: true }), VerificationError);
    });
  });
