/**
 * The session lock and the gated event stream, over a real HTTP server and real fetch: the
 * stream holds the lock from the moment a chunk is handed over until the next one is asked
 * for, a chunk never arrives while someone else holds the lock, and waiting on the network
 * holds nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gateEventStreams, Lock } from '../src/lock.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('Lock', () => {
  it('runs one holder at a time, in order', async () => {
    const lock = new Lock();
    const log: string[] = [];
    const job = (name: string, ms: number) =>
      lock.run(async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
      });
    await Promise.all([job('a', 30), job('b', 0), job('c', 10)]);
    assert.deepEqual(log, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    const release = await lock.acquire();
    release();
    release(); // a second call is harmless
    await lock.run(async () => undefined);
  });
});

describe('gateEventStreams', () => {
  let res: ServerResponse | undefined;
  let url = '';
  const server = createServer((req, r) => {
    if (req.url === '/json')
      return void r.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    r.writeHead(200, { 'content-type': 'text/event-stream' });
    r.flushHeaders();
    res = r;
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('holds the lock while a chunk is handled, never while waiting for one', async () => {
    const lock = new Lock();
    const gated = gateEventStreams(lock);
    const stream = await gated(`${url}/events`);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await tick();
    res?.write('data: 1\n\n');
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), 'data: 1\n\n');

    let tool = false;
    const toolRan = lock.run(async () => void (tool = true));
    await tick();
    assert.equal(tool, false, 'a tool waits while the chunk is being handled');
    const second = reader.read(); // the SDK asks for more: the chunk is handled
    await toolRan;
    assert.equal(tool, true);

    const release = await lock.acquire(); // a tool holds the lock...
    res?.write('data: 2\n\n');
    let arrived = false;
    void second.then(() => (arrived = true));
    await tick();
    await tick();
    assert.equal(arrived, false, '...so the next chunk is not handed over yet');
    release();
    assert.equal(new TextDecoder().decode((await second).value), 'data: 2\n\n');

    await reader.cancel(); // cancelling gives the lock back
    await lock.run(async () => undefined);
  });

  it('passes other answers through untouched', async () => {
    const lock = new Lock();
    const r = await gateEventStreams(lock)(`${url}/json`);
    const release = await lock.acquire();
    assert.deepEqual(await r.json(), { ok: true }); // readable with the lock held elsewhere
    release();
  });
});
