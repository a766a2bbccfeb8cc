/**
 * What a client sees of the server besides the happy path: the tool list with its
 * annotations and schemas (the kv, file and secret tools are exercised in data.test.ts and
 * secrets.test.ts), paths that leave the workspace, and failures that come back as
 * one-line tool errors (bad arguments, unknown objects, a dead relay), never as stacks.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, callError, cli, connect, world, type Connected } from './helpers.js';

const EXPECTED = {
  whoami: 'read',
  list_teams: 'read',
  list_members: 'read',
  send_message: 'add',
  check_inbox: 'read',
  read_messages: 'mark',
  ack_message: 'mark',
  get_thread: 'read',
  wait_for_message: 'add',
  share_code: 'add',
  list_snippets: 'read',
  get_snippet: 'read',
  kv_get: 'read',
  kv_set: 'replace',
  kv_list: 'read',
  kv_delete: 'replace',
  file_upload: 'add',
  file_list: 'read',
  file_download: 'replace',
  secret_names: 'read',
  secret_run: 'run',
} as const;

/** readOnly, destructive, idempotent, openWorld, per kind of tool. */
const HINTS = {
  read: [true, false, true, false],
  add: [false, false, false, false],
  mark: [false, false, true, false],
  replace: [false, true, true, false],
  run: [false, true, false, true],
} as const;

describe('tools, paths and errors', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let agent: { dir: string; principalId: string };
  let c: Connected;
  const outside = cli.tempDir('outside');

  before(async () => {
    w = await world('tools');
    agent = await w.agent('worker');
    writeFileSync(join(outside, 'secret.txt'), 'not for the team\n');
    mkdirSync(join(agent.dir, 'src'));
    writeFileSync(join(agent.dir, 'src', 'ok.ts'), 'export {};\n');
    symlinkSync(join(outside, 'secret.txt'), join(agent.dir, 'src', 'escape.txt'));
    symlinkSync(outside, join(agent.dir, 'elsewhere'));
    c = await connect(agent.dir);
  });
  after(async () => {
    await c?.close();
    await w?.stop();
    cli.cleanup(outside);
  });

  it('tools/list names every tool with its annotations and input and output schemas', async () => {
    const { tools } = await c.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(EXPECTED).sort());
    for (const t of tools) {
      const kind = EXPECTED[t.name as keyof typeof EXPECTED];
      const a = t.annotations;
      assert.ok(a && t.title && t.description && t.description.length > 60, t.name);
      assert.deepEqual(
        [a.readOnlyHint, a.destructiveHint, a.idempotentHint, a.openWorldHint],
        HINTS[kind],
        `${t.name} annotations`,
      );
      assert.equal(t.inputSchema.type, 'object');
      assert.equal(t.outputSchema?.type, 'object', `${t.name} has an output schema`);
    }
    const wait = tools.find((t) => t.name === 'wait_for_message');
    const props = wait?.inputSchema.properties as Record<string, { maximum?: number }>;
    assert.deepEqual(Object.keys(props).sort(), [
      'from',
      'reply_to',
      'team',
      'timeout_seconds',
      'topic',
      'type',
    ]);
    assert.equal(props.timeout_seconds?.maximum, 300);
  });

  it('share_code refuses paths that leave the workspace or reach the keys', async () => {
    const cases: [string, RegExp][] = [
      ['../outside.txt', /may not contain "\.\."/],
      ['src/../../x', /may not contain "\.\."/],
      [join(outside, 'secret.txt'), /outside the workspace/],
      ['src/escape.txt', /leads outside the workspace/],
      ['elsewhere/secret.txt', /leads outside the workspace/],
      ['.hush/identity.json', /hush home/],
      ['src', /not a regular file/],
    ];
    for (const [path, why] of cases) {
      const text = await callError(c, 'share_code', { team: 'core', path });
      assert.match(text, /^invalid request: /, path);
      assert.match(text, why, path);
      assert.doesNotMatch(text, /not for the team/, 'no content of the refused file');
    }
    assert.match(
      await callError(c, 'share_code', { team: 'core', path: 'src/missing.ts' }),
      /^not found: no file src\/missing\.ts/,
    );
    // An absolute path inside the workspace is fine.
    await call(c, 'share_code', { team: 'core', path: join(agent.dir, 'src', 'ok.ts') });
  });

  it('bad arguments and unknown objects are one-line tool errors', async () => {
    const errors = [
      await callError(c, 'get_snippet', { id: 'AAAAAAAAAAAAAAAAAAAAAA' }),
      await callError(c, 'get_thread', { id: 'AAAAAAAAAAAAAAAAAAAAAA' }),
      await callError(c, 'send_message', { team: 'no-such-team', text: 'hi' }),
      await callError(c, 'send_message', { team: 'core', member: 'x', text: 'hi' }),
      await callError(c, 'send_message', { text: 'to nowhere' }),
      await callError(c, 'ack_message', { id: 'not an id' }),
      await callError(c, 'wait_for_message', { timeout_seconds: 0 }),
      await callError(c, 'share_code', { team: 'core', path: 'src/ok.ts', text: 'both' }),
      await callError(c, 'share_code', { team: 'core', path: 'src/ok.ts', start_line: 1 }),
      await callError(c, 'list_members', { team: 'no-such-team' }),
    ];
    assert.match(errors[0] as string, /^not found: /);
    assert.match(errors[2] as string, /^not found: no team "no-such-team"/);
    assert.match(errors[3] as string, /^invalid request: give either team or member/);
    assert.match(errors[4] as string, /^invalid request: say where it goes/);
    assert.match(errors[5] as string, /22 characters/);
    assert.match(errors[7] as string, /either path .* or text/);
    assert.match(errors[8] as string, /both start_line and end_line/);
    assert.deepEqual(c.errors, []);
  });

  it('only the inbox resource can be subscribed to', async () => {
    const { resources } = await c.client.listResources();
    assert.deepEqual(
      resources.map((r) => r.uri),
      ['hush://inbox'],
    );
    await assert.rejects(
      c.client.subscribeResource({ uri: 'hush://elsewhere' }),
      /only hush:\/\/inbox/,
    );
  });

  it('a dead relay: reads fail as "relay unreachable", a send is queued', async () => {
    await w.server.stop();
    const text = await callError(c, 'list_teams');
    assert.match(text, /^relay unreachable: /);
    const inbox = await call<{ synced: boolean }>(c, 'check_inbox');
    assert.equal(inbox.synced, false);
    const sent = await call<{ queued: boolean }>(c, 'send_message', {
      team: 'core',
      text: 'later',
    });
    assert.equal(sent.queued, true);
    assert.doesNotMatch(c.stderr(), /\bat .+:\d+:\d+/, 'no stack on stderr either');
  });
});

describe('hush mcp without an identity', () => {
  it('exits 8 with one line on stderr and nothing on stdout', async () => {
    const empty = cli.tempDir('no-identity');
    try {
      const r = await cli.hush(empty, ['mcp'], { cwd: empty });
      assert.equal(r.code, 8, r.stderr);
      assert.match(cli.oneLine(r), /^hush: /);
    } finally {
      cli.cleanup(empty);
    }
  });
});
