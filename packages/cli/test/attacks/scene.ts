/**
 * The scene every malicious-relay test plays in: a real relay process, the tampering proxy
 * (packages/client/test/proxy.ts) in front of it, and the team "core" of alice (owner, who
 * talks to the relay directly) and bob (writer, whose every request goes through the
 * proxy), each a real home driven through the real `hush` binary.
 *
 * And the three things every attack test asserts: the refusal (exit 5, one `hush:` line that
 * names what failed and shows no secret), that nothing unverified reached bob's disk
 * (state.json unchanged, or holding only what the honest relay serves too; no stray file),
 * and that the honest path works afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before } from 'node:test';
import type { CachedObject, StateData } from '../../../client/dist/src/state.js';
import type * as ProxyModule from '../../../client/dist/test/proxy.js';
import { cleanup, harness, hush, tempDir, type Result } from '../helpers.js';
import { fails, ok, teamOfTwo, type TeamOfTwo } from '../team-fixture.js';

export const { startProxy } = (await import(
  new URL('../../../../client/dist/test/proxy.js', import.meta.url).href
)) as typeof ProxyModule;
export type Proxy = ProxyModule.Proxy;

/** A running scene; filled in by the `before` hook. */
export interface Scene extends TeamOfTwo {
  readonly server: Awaited<ReturnType<typeof harness.spawnServer>>;
  readonly proxy: Proxy;
  /** alice's principal id. */
  readonly aliceId: string;
  /** A scratch directory for files, removed at the end. */
  readonly work: string;
  /** The relay's data directory (its SQLite database and blob files). */
  readonly dataDir: string;
  /** Switches every proxy hook off: the relay's answers pass through unchanged. */
  honest(): void;
}

/**
 * Registers hooks that start the scene before a suite's tests and stop it (relay, proxy,
 * homes) after. `serverArgs` go to the relay (e.g. `--log-level debug`).
 */
export function attackScene(opts: { serverArgs?: string[] } = {}): Scene {
  const storage = new harness.Storage('sqlite');
  const s = {} as { -readonly [K in keyof Scene]: Scene[K] };
  before(async () => {
    s.server = await harness.spawnServer(storage, opts.serverArgs ?? []);
    s.proxy = await startProxy(s.server.url);
    s.work = tempDir('attack-work');
    s.dataDir = storage.dataDir;
    Object.assign(s, await teamOfTwo(s.server.url, s.proxy.url));
    s.aliceId = principalOf(ok(await hush(s.alice, ['whoami', '--json']), 'alice whoami'));
    s.honest = () => {
      s.proxy.tamper = undefined;
      s.proxy.tamperBytes = undefined;
      s.proxy.tamperRequest = undefined;
      s.proxy.block = undefined;
      s.proxy.stall = undefined;
    };
  });
  after(async () => {
    await s.proxy?.close();
    await s.server?.stop();
    await storage.destroy();
    cleanup(s.alice, s.bob, s.work);
  });
  return s;
}

function principalOf(r: Result): string {
  return (JSON.parse(r.stdout) as { principalId: string }).principalId;
}

/** state.json without the session tokens (which a sign-in may renew at any time). */
function verifiedState(home: string): Omit<StateData, 'refreshToken' | 'accessToken'> {
  const s = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as Partial<StateData>;
  delete s.refreshToken;
  delete s.accessToken;
  delete s.accessExpiresAt;
  return s as StateData;
}

/**
 * What state.json holds as verified, one string per fact: every chain link, team key,
 * cached object and direct envelope. (Pins and cursors follow from these.)
 */
export function stateFacts(home: string): Set<string> {
  const s = verifiedState(home);
  const out = new Set<string>();
  for (const [id, c] of Object.entries(s.principals))
    c.links.forEach((l, i) => out.add(`principal ${id} link ${i} ${l}`));
  for (const [id, t] of Object.entries(s.teams)) {
    t.links.forEach((l, i) => out.add(`team ${id} link ${i} ${l}`));
    for (const [g, k] of Object.entries(t.keys)) out.add(`team ${id} key ${g} ${k}`);
    for (const o of t.objects)
      out.add(`team ${id} object ${o.objectId} v${o.version} ${o.blindIndex} ${o.envelope}`);
    if (t.gone) out.add(`team ${id} gone`);
  }
  for (const d of s.inbox.items) out.add(`direct ${d.objectId} ${d.envelope}`);
  return out;
}

/** Every file under a home (relative paths), but state.json's atomic-write temp names. */
function filesOf(home: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(home, p));
    }
  };
  walk(home);
  return out.sort();
}

/** What a refusal left behind, for the honest run to check against. */
export interface Refusal {
  readonly line: string;
  readonly facts: Set<string>;
}

/**
 * Runs `hush ARGS` in `home` (while the proxy lies) and asserts the refusal: exit 5, one
 * line matching `why` and showing none of `secrets`, and nothing unverified on disk: no new
 * file in the home, and state.json unchanged, or with `advance`, only grown (what it gained
 * must then be what the honest relay serves: `honestly` checks that).
 */
export async function refused(
  home: string,
  args: readonly string[],
  why: RegExp,
  opts: { secrets?: readonly string[]; advance?: boolean; cwd?: string } = {},
): Promise<Refusal> {
  const before = verifiedState(home);
  const beforeFacts = stateFacts(home);
  const files = filesOf(home);
  const r = await hush(home, args, opts.cwd ? { cwd: opts.cwd } : {});
  const what = `hush ${args.join(' ')}`;
  const line = fails(r, 5, why, what);
  for (const v of opts.secrets ?? []) assert.ok(!line.includes(v), `${what}: the error shows ${v}`);
  assert.deepEqual(filesOf(home), files, `${what}: no file added or removed in the home`);
  const facts = stateFacts(home);
  if (opts.advance) {
    for (const f of beforeFacts) assert.ok(facts.has(f), `${what}: state.json lost ${f}`);
  } else {
    assert.deepEqual(verifiedState(home), before, `${what}: state.json unchanged`);
  }
  return { line, facts };
}

/**
 * The honest path after a refusal: runs `hush ARGS` (the proxy switched to pass-through by
 * the caller), asserts success, and that everything state.json held after the refusal is
 * also what the honest relay's data verified to.
 */
export async function honestly(
  home: string,
  args: readonly string[],
  after: Refusal | readonly Refusal[],
  opts: { cwd?: string } = {},
): Promise<Result> {
  const r = ok(
    await hush(home, args, opts.cwd ? { cwd: opts.cwd } : {}),
    `honest ${args.join(' ')}`,
  );
  const facts = stateFacts(home);
  for (const refusal of Array.isArray(after) ? after : [after as Refusal])
    for (const f of refusal.facts)
      assert.ok(facts.has(f), `kept after a refusal but not verified honestly: ${f.slice(0, 80)}`);
  return r;
}

/** A team object row as the relay lists it. */
export type Row = CachedObject & { tombstone?: boolean };

/**
 * The object rows the relay holds for `home` after its cursor in `teamId`, recorded through
 * the proxy while serving `home` an empty page (so its state does not move). Attacks that
 * need async work (signing) on what the relay will serve prepare it from these.
 */
export async function pendingObjects(s: Scene, home: string, teamId: string): Promise<Row[]> {
  const path = `/v1/teams/${teamId}/objects`;
  const rows: Row[] = [];
  const saved = s.proxy.tamper;
  s.proxy.tamper = (m, p, body) => {
    if (m !== 'GET' || p !== path) return undefined;
    rows.push(...(body as { objects: Row[] }).objects);
    return { objects: [], next: 0 };
  };
  try {
    ok(await hush(home, ['inbox', '--team', teamId]), 'record the pending objects');
  } finally {
    s.proxy.tamper = saved;
  }
  return rows;
}

/** Asserts no file (or `.hush-part` temp file) was created for `path`. */
export function noFile(path: string): void {
  assert.equal(existsSync(path), false, `${path} was created`);
  assert.equal(existsSync(`${path}.hush-part`), false, `${path}.hush-part was left`);
}

export { fails, ok };
