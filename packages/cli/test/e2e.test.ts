/**
 * End to end: the real `hush` binary, two people with separate homes, against a real relay
 * process (SQLite, and PostgreSQL when it answers).
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, harness, hush, oneLine, tempDir, watchProcess, type Result } from './helpers.js';

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

function json<T>(r: Result): T {
  return JSON.parse(r.stdout) as T;
}

interface Msg {
  id: string;
  text: string;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === 'object' && a ? a.port : 1;
}

for (const kind of await harness.dialects()) {
  describe(`hush end to end (${kind})`, () => {
    const storage = new harness.Storage(kind);
    let server: Awaited<ReturnType<typeof harness.spawnServer>>;
    const alice = tempDir('alice');
    const bob = tempDir('bob');
    const nobody = tempDir('nobody');
    let url = '';

    before(async () => {
      server = await harness.spawnServer(storage);
      url = server.url;
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
      cleanup(alice, bob, nobody);
    });

    it('no identity: exit 8 with one line', async () => {
      const r = await hush(nobody, ['whoami']);
      assert.equal(r.code, 8, r.stderr);
      assert.match(oneLine(r), /^hush: /);
    });

    it('relay unreachable: exit 4 with one line', async () => {
      const r = await hush(nobody, [
        'init',
        '--name',
        'x',
        '--server',
        `http://127.0.0.1:${await deadPort()}`,
      ]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(oneLine(r), /^hush: /);
    });

    it('plain http to a remote host is refused (exit 2) unless --insecure-transport', async () => {
      const r = await hush(nobody, ['init', '--name', 'x', '--server', 'http://hush.invalid']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(oneLine(r), /insecure-transport/);
    });

    it('init for two people', async () => {
      const a = ok(await hush(alice, ['init', '--name', 'alice', '--server', url]), 'alice init');
      assert.match(a.stdout, /fingerprint/);
      ok(await hush(bob, ['--json', 'init', '--name', 'bob', '--server', url]), 'bob init');
      const who = json<{ principalId: string; kind: string; server: string }>(
        ok(await hush(alice, ['whoami', '--json']), 'whoami'),
      );
      assert.equal(who.kind, 'human');
      assert.equal(who.server, url);
      const fp = ok(await hush(alice, ['fingerprint']), 'fingerprint');
      assert.ok(fp.stdout.trim().length > 0);
    });

    it('team create, list, invite (token alone on stdout), join', async () => {
      const created = ok(await hush(alice, ['team', 'create', 'core']), 'team create');
      assert.match(created.stdout, /^[A-Za-z0-9_-]{43}\n$/);
      const list = json<{ name: string }[]>(
        ok(await hush(alice, ['team', 'list', '--json']), 'list'),
      );
      assert.deepEqual(
        list.map((t) => t.name),
        ['core'],
      );
      const inv = ok(await hush(alice, ['team', 'invite', 'core']), 'invite');
      const token = inv.stdout.trim();
      assert.equal(inv.stdout, `${token}\n`, 'the token alone on stdout');
      assert.doesNotMatch(token, /\s/);
      assert.ok(inv.stderr.length > 0, 'explanations on stderr');
      ok(await hush(bob, ['join', token]), 'join');
      const show = json<{ memberList: { name: string }[] }>(
        ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show'),
      );
      assert.equal(show.memberList.length, 2);
      assert.ok(show.memberList.some((m) => m.name === 'bob'));
      const human = ok(await hush(alice, ['team', 'list']), 'list text');
      assert.match(human.stdout, /^ID\s+NAME\s+ROLE/);
    });

    it('team show names the owner too', async () => {
      const show = json<{ memberList: { name: string }[] }>(
        ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show'),
      );
      assert.deepEqual(show.memberList.map((m) => m.name).sort(), ['alice', 'bob']);
    });

    it('messages both ways, inbox --json, read, thread', async () => {
      const sent = ok(
        await hush(alice, ['send', 'core', 'hello bob', '--topic', 'greeting']),
        'send',
      );
      const id = sent.stdout.trim();
      const inbox = json<Msg[]>(ok(await hush(bob, ['inbox', '--json']), 'bob inbox'));
      assert.ok(inbox.some((m) => m.id === id && m.text === 'hello bob'));
      ok(
        await hush(bob, ['send', 'core', '-', '--type', 'response', '--reply-to', id], {
          input: 'hi alice\n',
        }),
        'bob replies',
      );
      const back = json<Msg[]>(
        ok(await hush(alice, ['inbox', '--json', '--team', 'core']), 'alice inbox'),
      );
      assert.ok(back.some((m) => m.text.startsWith('hi alice')));
      const read = ok(await hush(bob, ['read', id]), 'read');
      assert.match(read.stdout, /hello bob/);
      const unread = json<Msg[]>(ok(await hush(bob, ['inbox', '--unread', '--json']), 'unread'));
      assert.ok(!unread.some((m) => m.id === id), 'read is no longer unread');
      const thread = json<Msg[]>(ok(await hush(alice, ['thread', id, '--json']), 'thread'));
      assert.equal(thread.length, 2);
      ok(await hush(bob, ['ack', id]), 'ack');
    });

    it('direct messages to @member', async () => {
      ok(await hush(alice, ['send', '@bob', 'just between us']), 'direct send');
      const inbox = json<Msg[]>(ok(await hush(bob, ['inbox', '--json']), 'inbox'));
      assert.ok(inbox.some((m) => m.text === 'just between us'));
    });

    it('unknown team: exit 6 with one line', async () => {
      const r = await hush(alice, ['send', 'no-such-team', 'x']);
      assert.equal(r.code, 6, r.stderr);
      assert.match(oneLine(r), /^hush: /);
      const s = await hush(alice, ['team', 'show', 'no-such-team']);
      assert.equal(s.code, 6, s.stderr);
    });

    it('a second inbox reuses the session and writes nothing (state.json untouched)', async () => {
      ok(await hush(bob, ['inbox']), 'inbox');
      const file = join(bob, 'state.json');
      const before = { text: readFileSync(file, 'utf8'), ino: statSync(file).ino };
      const again = ok(await hush(bob, ['inbox', '--json']), 'inbox again');
      assert.ok(json<Msg[]>(again).length > 0);
      // A sign-in would have rotated the refresh token, and so rewritten the file.
      assert.equal(statSync(file).ino, before.ino);
      assert.equal(readFileSync(file, 'utf8'), before.text);
      assert.match(before.text, /"accessToken": "c:/);
    });

    it('watch prints verified messages as they arrive, and stops on SIGINT', async () => {
      const w = watchProcess(bob, ['watch', '--json']);
      try {
        await w.waitFor((l) => l.includes('"ready"'));
        ok(await hush(alice, ['send', 'core', 'live one']), 'send');
        const line = await w.waitFor((l) => l.includes('live one'));
        assert.equal((JSON.parse(line) as { type: string }).type, 'message');
      } finally {
        assert.equal(await w.stop(), 0);
      }
    });

    it('agent create: an agent home in DIR/.hush that the CLI uses there', async () => {
      const dir = tempDir('agent-dir');
      try {
        const created = json<{ principalId: string; kind: string }>(
          ok(
            await hush(alice, ['agent', 'create', 'reviewer', '--dir', dir, '--json']),
            'agent create',
          ),
        );
        assert.equal(created.kind, 'agent');
        assert.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^\.hush\/$/m);
        ok(
          await hush(alice, [
            'team',
            'add',
            'core',
            created.principalId,
            '--role',
            'agent',
            '--name',
            'reviewer',
          ]),
          'team add',
        );
        // The name alice sealed into the add link is what every member sees.
        const shown = json<{ memberList: { principalId: string; name: string }[] }>(
          ok(await hush(bob, ['team', 'show', 'core', '--json']), 'team show'),
        );
        assert.equal(
          shown.memberList.find((m) => m.principalId === created.principalId)?.name,
          'reviewer',
        );
        ok(await hush(alice, ['send', 'core', 'for the reviewer']), 'send');
        const who = json<{ principalId: string }>(
          ok(await hush(undefined, ['whoami', '--json'], { cwd: dir }), 'whoami'),
        );
        assert.equal(who.principalId, created.principalId);
        const inbox = json<Msg[]>(
          ok(await hush(undefined, ['inbox', '--json'], { cwd: dir }), 'agent inbox'),
        );
        assert.ok(inbox.some((m) => m.text === 'for the reviewer'));
      } finally {
        cleanup(dir);
      }
    });

    it('relay down after init: writes exit 4; a send is queued and delivered once later', async () => {
      const port = new URL(url).port;
      await server.stop();
      const r = await hush(alice, ['team', 'create', 'later']);
      assert.equal(r.code, 4, r.stderr);
      assert.match(oneLine(r), /^hush: /);
      const q = ok(await hush(alice, ['send', 'core', 'sent while down']), 'queued send');
      assert.match(q.stderr, /queued/);
      const list = json<unknown[]>(ok(await hush(alice, ['outbox', 'list', '--json']), 'outbox'));
      assert.equal(list.length, 1);
      server = await harness.spawnServer(storage, ['--port', port]);
      ok(await hush(alice, ['outbox', 'flush']), 'flush');
      const inbox = json<Msg[]>(ok(await hush(bob, ['inbox', '--json']), 'inbox'));
      assert.equal(inbox.filter((m) => m.text === 'sent while down').length, 1);
    });
  });
}
