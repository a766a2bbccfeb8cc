/**
 * A lying relay seen through MCP: a proxy in front of the real relay flips a character of
 * an envelope it serves. The agent's waiting tool fails with a one-line verification error
 * that shows nothing of the message, and once the relay stops lying the message arrives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as ProxyModule from '../../client/dist/test/proxy.js';
import { call, callError, connect, hushOk, world, type Connected } from './helpers.js';

const { startProxy } = (await import(
  new URL('../../../client/dist/test/proxy.js', import.meta.url).href
)) as typeof ProxyModule;

/** The same base64url text with one character changed in the middle. */
function flip(b64: string): string {
  const i = b64.length >> 1;
  return `${b64.slice(0, i)}${b64[i] === 'A' ? 'B' : 'A'}${b64.slice(i + 1)}`;
}

describe('a relay that tampers with an envelope', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let proxy: ProxyModule.Proxy;
  let c: Connected;

  before(async () => {
    w = await world('tamper');
    const agent = await w.agent('watcher');
    proxy = await startProxy(w.server.url);
    c = await connect(agent.dir, ['--server', proxy.url]);
    await call(c, 'list_teams');
  });
  after(async () => {
    await c?.close();
    await proxy?.close();
    await w?.stop();
  });

  it('the wait fails closed with a verification error, then recovers', async () => {
    // Nothing waits unread, so the wait is woken by the watch's verified sync.
    const waiting = c.client.callTool({
      name: 'wait_for_message',
      arguments: { team: 'core', timeout_seconds: 60 },
    });
    await new Promise((r) => setTimeout(r, 500));
    proxy.tamper = (method, path, body) => {
      const b = body as { objects?: { envelope: string }[] };
      if (method !== 'GET' || !/\/v1\/teams\/[^/]+\/objects$/.test(path) || !b.objects?.length)
        return undefined;
      return { ...b, objects: b.objects.map((o) => ({ ...o, envelope: flip(o.envelope) })) };
    };
    await hushOk(w.alice, ['send', 'core', 'the launch code is 1234']);
    const r = (await waiting) as { isError?: boolean; content: { type: string; text: string }[] };
    assert.equal(r.isError, true, JSON.stringify(r));
    const text = r.content[0]?.text ?? '';
    assert.match(text, /^verification failed: /);
    assert.doesNotMatch(text, /1234|launch/, 'nothing of the message');
    assert.doesNotMatch(text, /\n|\bat .+:\d+:\d+/);
    assert.match(c.stderr(), /the watch stopped: /);
    // A read that syncs meets the same forged envelope.
    assert.match(await callError(c, 'check_inbox'), /^verification failed: /);

    proxy.tamper = undefined;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const again = (await c.client.callTool({
        name: 'wait_for_message',
        arguments: { team: 'core', timeout_seconds: 5 },
      })) as { isError?: boolean; structuredContent?: { message?: { text: string } } };
      if (!again.isError && again.structuredContent?.message) {
        assert.equal(again.structuredContent.message.text, 'the launch code is 1234');
        break;
      }
      assert.ok(Date.now() < deadline, 'the message arrives once the relay stops lying');
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
