/**
 * What the secrets and kv suites share: result checks, and a team "core" with alice (owner)
 * and bob (writer) on a real relay, each a real home driven through the real binary.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { cleanup, harness, hush, tempDir, type Result } from './helpers.js';

/** Asserts exit 0 and returns the result. */
export function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** Parses stdout as JSON. */
export function json<T>(r: Result): T {
  return JSON.parse(r.stdout) as T;
}

/** Asserts a failure with an exit code and one `hush:` line on stderr matching `why`. */
export function fails(r: Result, code: number, why: RegExp, what: string): string {
  assert.equal(r.code, code, `${what}: expected exit ${code}, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0] as string, /^hush: \S/);
  assert.match(lines[0] as string, why, what);
  return lines[0] as string;
}

/** Two people in one team; bob may use another URL (a proxy in front of the same relay). */
export interface TeamOfTwo {
  readonly alice: string;
  readonly bob: string;
  readonly teamId: string;
  readonly bobId: string;
}

/** Creates alice and bob, the team "core" (alice owner) and bob's membership as `role`. */
export async function teamOfTwo(url: string, bobUrl = url, role = 'writer'): Promise<TeamOfTwo> {
  const alice = tempDir('alice');
  const bob = tempDir('bob');
  ok(await hush(alice, ['init', '--name', 'alice', '--server', url]), 'alice init');
  ok(await hush(bob, ['init', '--name', 'bob', '--server', bobUrl]), 'bob init');
  const teamId = ok(await hush(alice, ['team', 'create', 'core']), 'create').stdout.trim();
  const token = ok(await hush(alice, ['team', 'invite', 'core', '--role', role]), 'invite');
  ok(await hush(bob, ['join', token.stdout.trim()]), 'join');
  const bobId = json<{ principalId: string }>(ok(await hush(bob, ['whoami', '--json']), 'who'));
  return { alice, bob, teamId, bobId: bobId.principalId };
}

/**
 * Registers hooks that start a relay on `kind` and make the team of two before a suite's
 * tests, and stop it (removing the homes and `dirs`) after. The object is filled in by then.
 */
export function teamOnRelay(kind: 'sqlite' | 'postgres', dirs: string[] = []): TeamOfTwo {
  const t = { alice: '', bob: '', teamId: '', bobId: '' };
  const storage = new harness.Storage(kind);
  let server: Awaited<ReturnType<typeof harness.spawnServer>> | undefined;
  before(async () => {
    server = await harness.spawnServer(storage);
    Object.assign(t, await teamOfTwo(server.url));
  });
  after(async () => {
    await server?.stop();
    await storage.destroy();
    cleanup(t.alice, t.bob, ...dirs);
  });
  return t;
}
