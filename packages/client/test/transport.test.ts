/**
 * The Node transport (node/transport.ts) over real sockets: what the SDK sends and reads,
 * a body streamed as it arrives (SSE), aborts and refused connections.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { nodeFetch } from '../src/node/transport.js';

describe('the Node transport', () => {
  let server: Server;
  let url = '';
  let release: () => void = () => undefined;
  before(async () => {
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        if (req.url === '/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: first\n\n');
          release = () => res.end('data: last\n\n');
          return;
        }
        if (req.url === '/slow') return; // never answers
        const body = Buffer.concat(parts);
        res.writeHead(req.url === '/missing' ? 404 : 200, {
          'content-type': 'application/json',
          'x-two': ['a', 'b'],
        });
        res.end(
          JSON.stringify({
            method: req.method,
            length: req.headers['content-length'] ?? null,
            auth: req.headers.authorization ?? null,
            body: body.toString('hex'),
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends method, headers and a string body; reads status, headers and JSON', async () => {
    const res = await nodeFetch(`${url}/x?a=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"é":1}',
    });
    assert.equal(res.ok, true);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'application/json');
    assert.equal(res.headers.get('x-two'), 'a, b');
    assert.equal(res.headers.get('nope'), null);
    assert.deepEqual(await res.json(), {
      method: 'POST',
      length: '8',
      auth: 'Bearer t',
      body: Buffer.from('{"é":1}').toString('hex'),
    });
  });

  it('sends bytes and reads an error status', async () => {
    const res = await nodeFetch(`${url}/missing`, {
      method: 'PUT',
      body: new Uint8Array([1, 2, 255]),
    });
    assert.equal(res.ok, false);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { body: string }).body, '0102ff');
  });

  it('hands the body over as it arrives', async () => {
    const res = await nodeFetch(`${url}/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), 'data: first\n\n');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    assert.equal(rest, 'data: last\n\n');
  });

  it('rejects on abort and on a refused connection', async () => {
    await assert.rejects(nodeFetch(`${url}/slow`, { signal: AbortSignal.timeout(100) }));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(nodeFetch(`http://127.0.0.1:${port}/`), /ECONNREFUSED/);
  });
});
