/**
 * End to end with the real `hush` binary: link a device into a second HUSH_HOME, revoke it,
 * and restore a third home from recovery words, against a real relay (SQLite, PostgreSQL).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { cleanup, harness, hush, HUSH, oneLine, tempDir, type Result } from './helpers.js';

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** `hush device link` running in the background: its token line, then its exit. */
function linkProcess(home: string): {
  token: Promise<string>;
  done: Promise<Result>;
  kill: () => void;
} {
  const env: NodeJS.ProcessEnv = { ...process.env, HUSH_HOME: home };
  delete env.HUSH_SERVER;
  const proc = spawn(process.execPath, [HUSH, 'device', 'link', '--timeout', '30s'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let gotToken: (t: string) => void = () => undefined;
  const token = new Promise<string>((r) => (gotToken = r));
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const line = stdout.split('\n')[0];
    if (stdout.includes('\n') && line) gotToken(line);
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((r) =>
    proc.once('exit', (code) => {
      gotToken('');
      r({ code, stdout, stderr });
    }),
  );
  return { token, done, kill: () => proc.kill('SIGTERM') };
}

for (const kind of await harness.dialects()) {
  describe(`hush device and recovery (${kind})`, () => {
    const storage = new harness.Storage(kind);
    let server: Awaited<ReturnType<typeof harness.spawnServer>>;
    const alice = tempDir('alice');
    const laptop = tempDir('laptop');
    const restored = tempDir('restored');
    const bob = tempDir('bob');
    const tablet = tempDir('tablet');
    const phoenix = tempDir('phoenix');
    let url = '';
    let laptopId = '';
    let recoveryWords = '';
    const deviceOf = async (home: string): Promise<string> =>
      (
        JSON.parse(ok(await hush(home, ['whoami', '--json']), 'whoami').stdout) as {
          deviceId: string;
        }
      ).deviceId;

    const texts = async (home: string): Promise<string[]> =>
      (
        JSON.parse(ok(await hush(home, ['inbox', '--json']), 'inbox').stdout) as { text: string }[]
      ).map((m) => m.text);

    before(async () => {
      server = await harness.spawnServer(storage);
      url = server.url;
      ok(await hush(alice, ['init', '--name', 'alice', '--server', url]), 'init alice');
      ok(await hush(bob, ['init', '--name', 'bob', '--server', url]), 'init bob');
      ok(await hush(alice, ['team', 'create', 'core']), 'team create');
      const token = ok(await hush(alice, ['team', 'invite', 'core']), 'invite').stdout.trim();
      ok(await hush(bob, ['join', token]), 'join');
      ok(await hush(alice, ['send', 'core', 'history']), 'send');
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
      cleanup(alice, laptop, restored, bob, tablet, phoenix);
    });

    it('device link prints a token and a QR code; device join links a second home', async () => {
      const link = linkProcess(alice);
      const token = await link.token;
      assert.match(token, /^hush_/);
      const joined = ok(await hush(laptop, ['device', 'join', token, '--server', url]), 'join');
      assert.match(joined.stdout, /principal:/);
      const linked = await link.done;
      assert.equal(linked.code, 0, linked.stderr);
      assert.equal(linked.stdout.trim(), token, 'stdout holds the token alone');
      assert.match(linked.stderr, /[▀▄█]/, 'a QR code on stderr');
      assert.match(linked.stderr, /joined; rotated the key of 1 team/);
      assert.ok((await texts(laptop)).includes('history'));
      const list = JSON.parse(
        ok(await hush(alice, ['device', 'list', '--json']), 'list').stdout,
      ) as { id: string; current: boolean }[];
      assert.equal(list.length, 2);
      laptopId = (list.find((d) => !d.current) as { id: string }).id;
      const human = ok(await hush(alice, ['device', 'list']), 'list').stdout;
      assert.match(human, /this device/);
    });

    it('device revoke: the revoked home reads nothing new, the others continue', async () => {
      const r = ok(await hush(alice, ['device', 'revoke', laptopId]), 'revoke');
      assert.equal(r.stdout.trim(), laptopId);
      assert.match(r.stderr, /rotated the key of 1 team/);
      ok(await hush(bob, ['send', 'core', 'secret after revoke']), 'send');
      const denied = await hush(laptop, ['inbox']);
      assert.equal(denied.code, 3, denied.stderr);
      assert.match(oneLine(denied), /revoked/);
      assert.ok((await texts(alice)).includes('secret after revoke'));
      assert.ok((await texts(bob)).includes('secret after revoke'));
    });

    it('a device linked without its rotation is reported by team show and on reads', async () => {
      const link = linkProcess(alice);
      const token = await link.token;
      link.kill(); // stopped before the new device joined: nobody rotates for it
      await link.done;
      ok(await hush(tablet, ['device', 'join', token, '--server', url]), 'join');
      const tabletId = (
        JSON.parse(ok(await hush(tablet, ['whoami', '--json']), 'whoami').stdout) as {
          deviceId: string;
        }
      ).deviceId;
      const shown = JSON.parse(
        ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show').stdout,
      ) as { audit: { ok: boolean; missingKeyBoxes: string[] } };
      assert.equal(shown.audit.ok, true);
      assert.equal(shown.audit.missingKeyBoxes.length, 1);
      assert.ok(shown.audit.missingKeyBoxes[0]?.includes(tabletId.slice(0, 10)));
      const human = ok(await hush(bob, ['team', 'show', 'core']), 'show');
      assert.match(human.stdout, /audit:\s+1 device\(s\) without a key box/);
      assert.match(
        human.stdout,
        /^! device \S+ of member \S+ holds no key box for generation \d+$/m,
      );
      const read = ok(await hush(bob, ['inbox']), 'inbox');
      assert.match(read.stderr, /^hush: warning: team core: device \S+ .*holds no key box/m);
      ok(await hush(alice, ['team', 'rotate', 'core']), 'rotate');
      const after = ok(await hush(bob, ['team', 'show', 'core']), 'show');
      assert.match(after.stdout, /audit:\s+ok/);
      assert.doesNotMatch(ok(await hush(bob, ['inbox']), 'inbox').stderr, /key box/);
      assert.ok((await texts(tablet)).includes('history'), 'the rotation gave the tablet the key');
    });

    it('recovery create refuses a non-terminal without --yes', async () => {
      const r = await hush(alice, ['recovery', 'create']);
      assert.equal(r.code, 2);
      assert.match(oneLine(r), /--yes/);
    });

    it('recovery create shows the words on stderr; restore reads them on stdin', async () => {
      const r = ok(await hush(alice, ['recovery', 'create', '--yes']), 'create');
      assert.doesNotMatch(r.stdout, /\./, 'the words never reach stdout');
      const words = r.stderr
        .split('\n')
        .filter((l) => /^\s+\d+\./.test(l))
        .join(' ');
      assert.equal((words.match(/\d+\./g) ?? []).length, 33);
      const bad = await hush(restored, ['recovery', 'restore', '--server', url], {
        input: words.replace(/\s\d+\.\S+$/, ''),
      });
      assert.equal(bad.code, 2, bad.stderr);
      const ok2 = ok(
        await hush(restored, ['recovery', 'restore', '--server', url], { input: words }),
        'restore',
      );
      assert.match(ok2.stdout, /name:\s+alice/);
      const listed = ok2.stderr.split('\n').filter((l) => /^ {2}\S{43} {2}added /.test(l));
      assert.deepEqual(
        listed.map((l) => l.trim().split(' ')[0]).sort(),
        [await deviceOf(alice), await deviceOf(tablet)].sort(),
        'the other active devices, and not the revoked laptop',
      );
      assert.match(ok2.stderr, /hush device revoke ID/);
      recoveryWords = words;
      const t = await texts(restored);
      assert.ok(t.includes('history') && t.includes('secret after revoke'));
      ok(await hush(restored, ['send', 'core', 'back again']), 'send');
      assert.ok((await texts(bob)).includes('back again'));
    });

    it('recovery restore --revoke-others revokes the lost devices and rotates every team', async () => {
      const lost = [await deviceOf(alice), await deviceOf(restored), await deviceOf(tablet)];
      const before = JSON.parse(
        ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show').stdout,
      ) as { generation: number };
      const r = ok(
        await hush(phoenix, ['recovery', 'restore', '--server', url, '--revoke-others', '--json'], {
          input: recoveryWords,
        }),
        'restore --revoke-others',
      );
      const out = JSON.parse(r.stdout) as {
        revoked: string[];
        rotated: string[];
        otherDevices: [];
      };
      assert.deepEqual([...out.revoked].sort(), lost.sort());
      assert.equal(out.rotated.length, 1);
      assert.deepEqual(out.otherDevices, []);
      const after = JSON.parse(
        ok(await hush(bob, ['team', 'show', 'core', '--json']), 'show').stdout,
      ) as { generation: number; audit: { ok: boolean } };
      assert.equal(after.generation, before.generation + 1);
      assert.equal(after.audit.ok, true);
      ok(await hush(bob, ['send', 'core', 'after the loss']), 'send');
      for (const gone of [alice, restored, tablet]) {
        const denied = await hush(gone, ['inbox']);
        assert.equal(denied.code, 3, denied.stderr);
        assert.match(oneLine(denied), /revoked/);
      }
      assert.ok((await texts(phoenix)).includes('after the loss'));
      const list = JSON.parse(
        ok(await hush(phoenix, ['device', 'list', '--json']), 'list').stdout,
      ) as { kind: string; revoked: boolean }[];
      assert.deepEqual(
        list
          .filter((d) => !d.revoked)
          .map((d) => d.kind)
          .sort(),
        ['device', 'recovery'],
      );
    });
  });
}
