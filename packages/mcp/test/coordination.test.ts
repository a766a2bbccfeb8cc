/**
 * Two coding agents, each a real `hush mcp` in its own folder (made by a human with
 * `hush agent create` and added to the team), coordinate through a real relay: a request,
 * a wait, an answer with reply_to, the inbox resource's notification, a shared code range.
 */
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { call, connect, eventually, hushOk, world, type Connected } from './helpers.js';

interface Msg {
  id: string;
  text: string;
  type: string;
  replyTo?: string;
  from: { principalId: string; name: string };
  team?: { id: string; name: string };
}

describe('two agents coordinate over MCP', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let builder: { dir: string; principalId: string };
  let reviewer: { dir: string; principalId: string };
  let a: Connected;
  let b: Connected;
  const updates: string[] = [];

  before(async () => {
    w = await world('coord');
    builder = await w.agent('builder');
    reviewer = await w.agent('reviewer');
    a = await connect(builder.dir);
    b = await connect(reviewer.dir);
    b.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await w?.stop();
  });

  it('each acts as the agent of its folder', async () => {
    const me = await call<{ principalId: string; kind: string; workspace: string }>(a, 'whoami');
    assert.equal(me.principalId, builder.principalId);
    assert.equal(me.kind, 'agent');
    const teams = await call<{ teams: { name: string; role: string }[] }>(b, 'list_teams');
    assert.deepEqual(
      teams.teams.map((t) => [t.name, t.role]),
      [['core', 'agent']],
    );
    const members = await call<{ members: { principalId: string; name: string; kind: string }[] }>(
      b,
      'list_members',
      { team: 'core' },
    );
    const kinds = new Map(members.members.map((m) => [m.principalId, m.kind]));
    assert.equal(kinds.get(builder.principalId), 'agent');
    assert.equal(kinds.get(reviewer.principalId), 'agent');
    assert.ok(members.members.some((m) => m.name === 'alice' && m.kind === 'human'));
  });

  it('A requests, B waits for it and answers with reply_to, A gets the answer', async () => {
    await b.client.subscribeResource({ uri: 'hush://inbox' });
    // B starts waiting before anything was sent: the request must wake it.
    const waiting = call<{ message?: Msg; timedOut: boolean }>(b, 'wait_for_message', {
      team: 'core',
      type: 'request',
      timeout_seconds: 60,
    });
    await new Promise((r) => setTimeout(r, 300));
    const req = await call<{ id: string; queued: boolean }>(a, 'send_message', {
      team: 'core',
      text: 'please review src/app.ts',
      type: 'request',
      topic: 'review',
      priority: 'blocking',
    });
    assert.equal(req.queued, false);
    const got = await waiting;
    assert.equal(got.timedOut, false);
    assert.equal(got.message?.id, req.id);
    assert.equal(got.message?.text, 'please review src/app.ts');
    assert.equal(got.message?.from.principalId, builder.principalId);
    await eventually(() => updates.includes('hush://inbox'), 'notifications/resources/updated');

    // No team or member: the answer goes where the request came from, as a response.
    const answer = await call<{ id: string }>(b, 'send_message', {
      reply_to: req.id,
      text: 'LGTM',
    });
    const back = await call<{ message?: Msg; timedOut: boolean }>(a, 'wait_for_message', {
      reply_to: req.id,
      timeout_seconds: 60,
    });
    assert.equal(back.message?.id, answer.id);
    assert.equal(back.message?.type, 'response');
    assert.equal(back.message?.team?.name, 'core');
    const thread = await call<{ messages: Msg[] }>(a, 'get_thread', { id: answer.id });
    assert.deepEqual(
      thread.messages.map((m) => m.text),
      ['please review src/app.ts', 'LGTM'],
    );
  });

  it('the inbox resource and check_inbox show what is unread; read_messages marks it read', async () => {
    await hushOk(w.alice, ['send', 'core', 'standup in 5', '--priority', 'urgent']);
    await eventually(() => updates.length >= 2, 'a second resource update');
    const res = await b.client.readResource({ uri: 'hush://inbox' });
    const first = res.contents[0];
    assert.ok(first && 'text' in first);
    const summary = JSON.parse(first.text) as { unread: number; urgent: number };
    assert.equal(summary.unread, 1);
    assert.equal(summary.urgent, 1);
    const inbox = await call<{ unread: number; messages: { preview: string }[] }>(b, 'check_inbox');
    assert.equal(inbox.unread, 1);
    assert.equal(inbox.messages[0]?.preview, 'standup in 5');
    const read = await call<{ messages: Msg[] }>(b, 'read_messages', { from: 'alice' });
    assert.deepEqual(
      read.messages.map((m) => m.text),
      ['standup in 5'],
    );
    assert.equal((await call<{ unread: number }>(b, 'check_inbox')).unread, 0);
    const acked = await call<{ acked: boolean }>(b, 'ack_message', { id: read.messages[0]?.id });
    assert.equal(acked.acked, true);
  });

  it('a wait with nothing matching times out without a message', async () => {
    const r = await call<{ timedOut: boolean; message?: unknown }>(a, 'wait_for_message', {
      topic: 'nobody-sends-this',
      timeout_seconds: 1,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.message, undefined);
  });

  it('a cancelled wait stops at once and consumes nothing', async () => {
    const stop = new AbortController();
    const waiting = b.client.callTool(
      { name: 'wait_for_message', arguments: { timeout_seconds: 60 } },
      undefined,
      { signal: stop.signal },
    );
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    await assert.rejects(waiting);
    await hushOk(w.alice, ['send', 'core', 'after the cancel']);
    // Had the cancelled wait kept going, it would have taken (and marked read) this one.
    await eventually(() => updates.length >= 3, 'the update for the new message');
    const inbox = await call<{ unread: number; messages: { preview: string }[] }>(b, 'check_inbox');
    assert.deepEqual(
      inbox.messages.map((m) => m.preview),
      ['after the cancel'],
    );
    await call(b, 'read_messages', {});
  });

  it('share_code sends a line range of a workspace file; get_snippet returns it', async () => {
    mkdirSync(join(builder.dir, 'src'));
    const lines = Array.from({ length: 10 }, (_, i) => `export const v${i + 1} = ${i + 1};`);
    writeFileSync(join(builder.dir, 'src', 'app.ts'), `${lines.join('\n')}\n`);
    const ref = await call<{ id: string }>(a, 'share_code', {
      team: 'core',
      path: 'src/app.ts',
      start_line: 2,
      end_line: 4,
      note: 'the constants',
    });
    const list = await call<{ snippets: { id: string; path: string; lines?: object }[] }>(
      b,
      'list_snippets',
      { from: builder.principalId },
    );
    assert.ok(list.snippets.some((s) => s.id === ref.id && s.path === 'src/app.ts'));
    const s = await call<{ content: string; language: string; lines: object; note: string }>(
      b,
      'get_snippet',
      { id: ref.id },
    );
    assert.equal(s.content, `${lines.slice(1, 4).join('\n')}\n`);
    assert.equal(s.language, 'typescript');
    assert.deepEqual(s.lines, { first: 2, last: 4 });
    assert.equal(s.note, 'the constants');
  });

  it('share_code sends text to one member directly', async () => {
    const ref = await call<{ id: string; to?: string }>(b, 'share_code', {
      member: builder.principalId,
      text: 'SELECT 1;\n',
      language: 'sql',
      title: 'probe',
    });
    assert.ok(ref.to);
    const s = await call<{ content: string; language: string; direct: boolean; path: string }>(
      a,
      'get_snippet',
      { id: ref.id },
    );
    assert.deepEqual([s.content, s.language, s.direct, s.path], ['SELECT 1;\n', 'sql', true, '']);
  });

  it('nothing but JSON-RPC reached the clients; diagnostics went to stderr', () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.match(a.stderr(), /^hush mcp: serving /m);
  });
});
