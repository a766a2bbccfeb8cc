/**
 * The secret tools and the grant behind them, through the real `hush mcp` process and the
 * real `hush agent allow-secrets`: secret_run denied before a grant, allowed for the granted
 * environment only, denied again once revoked; its output masked; secret_names only names;
 * no secret value in any tool output at all; the run's deadline and output cap.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  call,
  callError,
  cli,
  connect,
  eventually,
  hushOk,
  world,
  type Connected,
} from './helpers.js';

const VALUES = {
  API_KEY: 'sk-live-4f9a2c7e1b',
  DB_URL: 'postgres://app:hunter2hunter2@db/app',
  PIN: 'abc',
};
const PROD_TOKEN = 'prod-only-9e8d7c6b5a';

/** Whether a process is still running (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('secret tools and grants', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let agent: { dir: string; principalId: string };
  let c: Connected;
  /** Every tool result of the test, as the client received it. */
  const seen: string[] = [];

  const pid = (file: string) => Number(readFileSync(join(agent.dir, file), 'utf8').trim());

  async function run(args: Record<string, unknown>): Promise<CallToolResult> {
    const r = (await c.client.callTool({ name: 'secret_run', arguments: args })) as CallToolResult;
    seen.push(JSON.stringify(r));
    return r;
  }

  before(async () => {
    w = await world('secrets');
    agent = await w.agent('runner');
    for (const [k, v] of Object.entries(VALUES))
      await hushOk(w.alice, ['secrets', 'set', `${k}=${v}`]);
    await hushOk(w.alice, ['secrets', 'set', `PROD_TOKEN=${PROD_TOKEN}`, '--env', 'production']);
    c = await connect(agent.dir);
  });
  after(async () => {
    await c?.close();
    await w?.stop();
  });

  it('secret_names gives names, never values, and says nothing is allowed yet', async () => {
    const r = await call<{
      names: string[];
      allowed: string[];
      note: string;
      environments: unknown[];
    }>(c, 'secret_names', {});
    seen.push(JSON.stringify(r));
    assert.deepEqual(r.names, ['API_KEY', 'DB_URL', 'PIN']);
    assert.deepEqual(r.allowed, []);
    assert.match(r.note, /no grant/);
    assert.equal(r.environments.length, 2);
  });

  it('secret_run is refused without a grant, naming the command that allows it', async () => {
    const text = await callError(c, 'secret_run', { command: ['true'] });
    seen.push(text);
    assert.match(
      text,
      /^not allowed: secret_run may not use environment development of team core: no grant/,
    );
    assert.match(
      text,
      new RegExp(`hush agent allow-secrets ${agent.principalId} --team core --env development`),
    );
  });

  it('allow-secrets: only a human owner or admin, only for a member', async () => {
    const self = await cli.hush(undefined, ['agent', 'allow-secrets', agent.principalId], {
      cwd: agent.dir,
    });
    assert.equal(self.code, 3, self.stderr);
    assert.match(cli.oneLine(self), /only a human owner or admin/);
    const stranger = await cli.hush(w.alice, ['agent', 'allow-secrets', 'A'.repeat(43)]);
    assert.equal(stranger.code, 6, stranger.stderr);
    const grant = JSON.parse(
      await hushOk(w.alice, [
        'agent',
        'allow-secrets',
        agent.principalId,
        '--team',
        'core',
        '--json',
      ]),
    ) as { envs: string[]; granted: boolean; version: number };
    assert.deepEqual(grant.envs, ['development']);
    assert.equal(grant.granted, true);
    assert.equal(grant.version, 1);
  });

  it('secret_run with a grant: the values are in the environment and masked in the output', async () => {
    const r = await run({
      command: [
        'sh',
        '-c',
        'echo "key=$API_KEY db=$DB_URL pin=${PIN:-unset}"; echo "$API_KEY" >&2; exit 3',
      ],
    });
    assert.ok(!r.isError, JSON.stringify(r.content));
    const out = r.structuredContent as {
      exitCode: number;
      stdout: string;
      stderr: string;
      injected: string[];
      withheld: { name: string }[];
    };
    assert.equal(out.exitCode, 3);
    assert.equal(out.stdout, 'key=***** db=***** pin=unset\n');
    assert.equal(out.stderr, '*****\n');
    assert.deepEqual(out.injected, ['API_KEY', 'DB_URL']);
    assert.deepEqual(
      out.withheld.map((x) => x.name),
      ['PIN'],
      'a value too short to mask is not given to the command',
    );
    // Split across writes, and the start of a value left at the very end.
    const split = await run({
      command: [
        'sh',
        '-c',
        `printf 'sk-live-'; sleep 0.2; printf '4f9a2c7e1b!'; printf 'postgres://app'`,
      ],
    });
    assert.equal((split.structuredContent as { stdout: string }).stdout, '*****!*****');
  });

  it('a secret of another environment is masked too, and that environment stays refused', async () => {
    const r = await run({
      command: ['sh', '-c', `echo ${PROD_TOKEN}`],
    });
    assert.equal((r.structuredContent as { stdout: string }).stdout, '*****\n');
    const text = await callError(c, 'secret_run', { command: ['true'], env: 'production' });
    seen.push(text);
    assert.match(text, /^not allowed: .*environment production.*only development is allowed/);
  });

  it('a run is bounded: killed at its deadline, its output cut to the last 32 KiB', async () => {
    const slow = await run({ command: ['sh', '-c', 'echo started; sleep 30'], timeout_seconds: 1 });
    const s = slow.structuredContent as { timedOut: boolean; signal: string; stdout: string };
    assert.equal(s.timedOut, true);
    assert.equal(s.signal, 'SIGTERM');
    assert.equal(s.stdout, 'started\n');
    const stubborn = await run({
      command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'],
      timeout_seconds: 1,
    });
    assert.equal((stubborn.structuredContent as { signal: string }).signal, 'SIGKILL');
    const big = await run({
      command: [process.execPath, '-e', 'process.stdout.write("x".repeat(100000) + "END")'],
    });
    const b = big.structuredContent as { stdout: string; droppedBytes: { stdout: number } };
    assert.equal(b.stdout.length, 32 * 1024);
    assert.ok(b.stdout.endsWith('END'));
    assert.equal(b.droppedBytes.stdout, 100003 - 32 * 1024);
    assert.match(
      await callError(c, 'secret_run', { command: ['no-such-command-here'] }),
      /^not found: cannot run "no-such-command-here"/,
    );
  });

  it('nothing it started outlives a run, and a cancelled run is killed', async () => {
    await run({ command: ['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $! > bg.pid'] });
    await eventually(() => !alive(pid('bg.pid')), 'the background process to be killed');
    const cancel = new AbortController();
    const call = c.client.callTool(
      { name: 'secret_run', arguments: { command: ['sh', '-c', 'echo $$ > fg.pid; sleep 30'] } },
      undefined,
      { signal: cancel.signal },
    );
    await eventually(() => existsSync(join(agent.dir, 'fg.pid')), 'the command to start');
    const fg = pid('fg.pid');
    cancel.abort();
    await assert.rejects(call, /abort/i);
    await eventually(() => !alive(fg), 'the cancelled command to be killed');
  });

  it('revoked: secret_run is refused again', async () => {
    await hushOk(w.alice, ['agent', 'allow-secrets', agent.principalId, '--env', 'test']);
    const both = await call<{ allowed: string[] }>(c, 'secret_names', {});
    assert.deepEqual(both.allowed, ['development', 'test']);
    await hushOk(w.alice, ['agent', 'allow-secrets', agent.principalId, '--revoke']);
    const text = await callError(c, 'secret_run', { command: ['true'] });
    seen.push(text);
    assert.match(text, /^not allowed: .*the grant was revoked/);
    const names = await call<{ allowed: string[]; note: string }>(c, 'secret_names', {});
    seen.push(JSON.stringify(names));
    assert.deepEqual(names.allowed, []);
  });

  it('no secret value appeared in any tool output', () => {
    assert.ok(seen.length > 8);
    for (const text of seen)
      for (const v of [VALUES.API_KEY, VALUES.DB_URL, PROD_TOKEN, 'hunter2hunter2', '4f9a2c7e1b'])
        assert.ok(!text.includes(v), `a value leaked: ${text.slice(0, 200)}`);
    assert.doesNotMatch(c.stderr(), new RegExp(VALUES.API_KEY));
  });
});
