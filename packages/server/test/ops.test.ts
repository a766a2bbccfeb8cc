/**
 * Operations: health and readiness, Prometheus metrics, the per-device and per-address rate
 * limits, JSON logs that never carry secrets, a database outage (PostgreSQL) and graceful
 * shutdown with a request in flight. Every test drives the real server process.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { toBase64url } from '@hush/core';
import pg from 'pg';
import { clientKey } from '../src/limits/client-address.js';
import { TokenBuckets } from '../src/limits/token-bucket.js';
import { Counter, Gauge, Histogram, renderMetrics } from '../src/metrics.js';
import { TestClient } from './client.js';
import { SseClient } from './sse.js';
import {
  dialects,
  PG_ADMIN_URL,
  postgresAvailable,
  spawnServer,
  Storage,
  type ServerProcess,
} from './harness.js';
import { TestTeam } from './teams-fixture.js';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, text, body };
}

function errorCode(body: Record<string, unknown>): unknown {
  return (body.error as { code?: unknown } | undefined)?.code;
}

/** Waits (bounded) until the server has logged the completion of request `reqId`. */
async function logged(server: ServerProcess, reqId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const out = server.stdout.join('') + server.stderr.join('');
    if (out.split('\n').some((l) => l.includes(reqId) && l.includes('request completed')))
      return out;
    await sleep(20);
  }
  throw new Error(`request ${reqId} was never logged`);
}

/** Sends requests until one is refused with 429 (at most `max`); returns the statuses and the refusal. */
async function untilLimited(send: () => Promise<Response>, max: number) {
  const statuses: number[] = [];
  for (let i = 0; i < max; i++) {
    const res = await send();
    statuses.push(res.status);
    if (res.status === 429)
      return { statuses, res, body: (await res.json()) as Record<string, unknown> };
    await res.arrayBuffer();
  }
  return { statuses, res: undefined, body: undefined };
}

for (const kind of await dialects()) {
  describe(`ops: health, metrics, limits and logs (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    before(async () => {
      server = await spawnServer(storage, ['--log-level', 'debug', '--rate-limit', '5']);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('answers /healthz and /readyz, with a request id on every answer', async () => {
      const h = await get(`${server.url}/healthz`);
      assert.equal(h.status, 200);
      assert.deepEqual(h.body, { status: 'ok' });
      assert.match(h.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const r = await get(`${server.url}/readyz`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ready' });
      const other = await get(`${server.url}/healthz`);
      assert.notEqual(other.headers.get('x-request-id'), h.headers.get('x-request-id'));
    });

    it('logs JSON lines that never contain tokens, keys or ciphertext', async () => {
      const owner = await TestClient.create(server.url);
      const member = await TestClient.create(server.url);
      const team = await TestTeam.create(owner);
      assert.equal((await team.add(owner, member)).status, 200);
      const links = await owner.request<{ links: string[] }>('GET', `/v1/teams/${team.id}/links`);
      const boxes = await member.request<{ keyBoxes: { box: string }[] }>(
        'GET',
        `/v1/teams/${team.id}/keyboxes`,
      );
      const access = owner.accessToken as string;
      const firstRefresh = owner.refreshToken as string;
      const rotated = await owner.request<{ accessToken: string; refreshToken: string }>(
        'POST',
        '/v1/auth/refresh',
        { refreshToken: firstRefresh },
        { auth: false },
      );
      assert.equal(rotated.status, 200);
      // A token in a query string and inside a malformed body must not reach the log either.
      await get(`${server.url}/healthz?access_token=${access}`);
      const broken = await fetch(`${server.url}/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"refreshToken": "${rotated.body.refreshToken}"`,
      });
      assert.equal(broken.status, 400);
      const last = await get(`${server.url}/healthz`);
      const out = await logged(server, last.headers.get('x-request-id') as string);

      const secrets = [
        access,
        firstRefresh,
        rotated.body.accessToken,
        rotated.body.refreshToken,
        member.accessToken as string,
        member.refreshToken as string,
        ...owner.links.map(toBase64url),
        ...links.body.links,
        ...boxes.body.keyBoxes.map((k) => k.box),
      ];
      assert.ok(links.body.links.length >= 2 && boxes.body.keyBoxes.length >= 1);
      for (const s of secrets) {
        assert.ok(s.length > 40);
        assert.ok(!out.includes(s.slice(4, 40)), 'a token, link or key box reached the log');
      }
      const lines = out.split('\n').filter((l) => l.trim() && !l.startsWith('hush-server '));
      const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const incoming = entries.filter((e) => e.msg === 'incoming request');
      assert.ok(
        incoming.some((e) => JSON.stringify(e.req) === '{"method":"POST","route":"/v1/teams"}'),
        'request lines name method and route only',
      );
      for (const e of incoming)
        assert.deepEqual(Object.keys(e.req as object).sort(), ['method', 'route']);
    });

    it('limits a device to its rate, with Retry-After, without touching other devices', async () => {
      const a = await TestClient.create(server.url);
      const b = await TestClient.create(server.url);
      const send = () =>
        fetch(`${server.url}/v1/teams`, { headers: { authorization: `Bearer ${a.accessToken}` } });
      const r = await untilLimited(send, 300);
      assert.ok(r.res, 'the device was never limited');
      // The bucket starts full: a burst of twice the rate (2 x 5) always passes.
      assert.ok(r.statuses.slice(0, 10).every((s) => s === 200));
      assert.equal(errorCode(r.body), 'HUSH_ERR_RATE_LIMITED');
      assert.ok(Number(r.res.headers.get('retry-after')) >= 1);
      assert.equal(
        r.body.error && (r.body.error as { retryAfter?: number }).retryAfter,
        Number(r.res.headers.get('retry-after')),
      );
      assert.equal((await b.request('GET', '/v1/teams')).status, 200);
    });

    it('limits sign-in and registration per client address, keyed on the proxy-seen address', async () => {
      const challenge = (xff?: string) =>
        fetch(`${server.url}/v1/auth/challenge`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(xff ? { 'x-forwarded-for': xff } : {}),
          },
          body: '{}',
        });
      const r = await untilLimited(() => challenge('198.51.100.7'), 400);
      assert.ok(r.res, 'the address was never limited');
      assert.ok(r.statuses.slice(0, 20).every((s) => s === 400));
      assert.equal(errorCode(r.body), 'HUSH_ERR_RATE_LIMITED');
      assert.ok(Number(r.res.headers.get('retry-after')) >= 1);
      // The last X-Forwarded-For entry is what the proxy saw: a forged first entry does not help.
      // The bucket refills one token per 1/ADDRESS_RATE s, so on a slow machine one request may
      // pass again; a bucket of its own would let a whole burst (20) through.
      const soon = 10;
      const forged = await untilLimited(() => challenge('203.0.113.9, 198.51.100.7'), soon);
      assert.ok(forged.res, 'a forged first X-Forwarded-For entry got a bucket of its own');
      const register = await untilLimited(
        () =>
          fetch(`${server.url}/v1/principals`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
            body: '{}',
          }),
        soon,
      );
      assert.ok(register.res, 'registration is not limited by the same address bucket');
      assert.equal((await challenge('198.51.100.8')).status, 400);
      assert.equal((await challenge('2001:db8:1:2:3::9')).status, 400);
      // A local client (loopback, no proxy header) is not limited by address.
      for (let i = 0; i < 40; i++) assert.equal((await challenge()).status, 400);
    });

    it('serves Prometheus metrics without ids, tokens or content in labels', async () => {
      const owner = await TestClient.create(server.url);
      const team = await TestTeam.create(owner);
      const res = await get(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = res.text;
      for (const s of [owner.id, owner.deviceId, team.id, owner.accessToken as string])
        assert.ok(!text.includes(s));
      const samples = new Map<string, number>();
      for (const line of text.trimEnd().split('\n')) {
        if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
        const m = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        assert.ok(m, `not an exposition line: ${line}`);
        assert.ok(!Number.isNaN(Number(m[3])) || m[3] === '+Inf');
        samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
      }
      const at = (k: string) => samples.get(k) ?? -1;
      assert.ok(at('hush_http_requests_total{method="GET",route="/healthz",status="200"}') >= 1);
      assert.ok(at('hush_http_requests_total{method="POST",route="/v1/teams",status="201"}') >= 1);
      assert.ok(at('hush_http_requests_total{method="GET",route="/v1/teams",status="429"}') >= 1);
      assert.equal(at('hush_sse_connections'), 0);
      assert.ok(at('hush_events_published_total') >= 1);
      assert.ok(at('hush_events_received_total') >= 1);
      assert.ok(at('hush_rate_limited_total{scope="device"}') >= 1);
      assert.ok(at('hush_rate_limited_total{scope="address"}') >= 1);
      assert.equal(at('hush_db_errors_total{kind="unavailable"}'), 0);
      assert.ok(at('process_resident_memory_bytes') > 0);
      assert.ok(at('nodejs_heap_size_used_bytes') > 0);
      // Histogram buckets are cumulative and end at the count.
      const series = 'method="GET",route="/healthz"';
      const buckets = [...samples]
        .filter(([k]) => k.startsWith(`hush_http_request_duration_seconds_bucket{${series},`))
        .map(([, v]) => v);
      assert.ok(buckets.length > 5);
      for (let i = 1; i < buckets.length; i++)
        assert.ok((buckets[i] as number) >= (buckets[i - 1] as number));
      assert.equal(buckets.at(-1), at(`hush_http_request_duration_seconds_count{${series}}`));
      assert.ok(at(`hush_http_request_duration_seconds_sum{${series}}`) >= 0);
    });
  });

  describe(`ops: open push streams gauge (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    before(async () => {
      server = await spawnServer(storage);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('counts open SSE connections in hush_sse_connections', async () => {
      const gauge = async () =>
        Number(
          /^hush_sse_connections (\d+)$/m.exec((await get(`${server.url}/metrics`)).text)?.[1],
        );
      const alice = await TestClient.create(server.url);
      const streams = [
        await SseClient.open(server.url, { token: alice.accessToken }),
        await SseClient.open(server.url, { token: alice.accessToken }),
      ];
      assert.ok(streams.every((s) => s.status === 200));
      await waitFor(async () => (await gauge()) === 2);
      for (const s of streams) s.close();
      await waitFor(async () => (await gauge()) === 0);
    });
  });

  describe(`graceful shutdown (${kind})`, () => {
    const storage = new Storage(kind);
    after(async () => storage.destroy());

    it('SIGTERM lets a slow in-flight request finish, drops idle connections, exits 0', async () => {
      const server = await spawnServer(storage, ['--log-level', 'info']);
      const { port } = new URL(server.url);
      const client = await TestClient.create(server.url, { register: false });
      const body = Buffer.from(JSON.stringify({ links: client.links.map(toBase64url) }));
      let req: ClientRequest | undefined;
      const answer = new Promise<{ status: number; text: string; connection?: string }>(
        (resolve, reject) => {
          req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/v1/principals',
              headers: { 'content-type': 'application/json', 'content-length': body.length },
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }),
              );
            },
          );
          req.on('error', reject);
          req.write(body.subarray(0, 10));
        },
      );
      // A connection that never sends a request (browsers preconnect) must not hold the exit.
      const idle = connect({ host: '127.0.0.1', port: Number(port) });
      idle.on('error', () => {});
      const idleClosed = new Promise((resolve) => idle.once('close', resolve));
      await new Promise((resolve) => idle.once('connect', resolve));
      // Half the body is sent; once the server has seen the request, it gets the signal.
      await waitFor(
        () =>
          /"incoming request"/.test(server.stdout.join('')) &&
          /"route":"\/v1\/principals"/.test(server.stdout.join('')),
      );
      server.proc.kill('SIGTERM');
      await waitFor(async () => !(await accepts(Number(port))));
      req?.end(body.subarray(10));
      const done = await answer;
      assert.equal(done.status, 201, done.text);
      // The answer closes its connection, so an idle keep-alive cannot hold the exit.
      assert.equal(done.connection, 'close');
      await idleClosed;
      assert.equal(await server.stop(), 0);
      assert.ok(!(await accepts(Number(port))));
    });

    it(
      'a request still in flight after --shutdown-grace-seconds is cut, and the server exits 0',
      { timeout: 30_000 },
      async () => {
        const server = await spawnServer(storage, [
          '--log-level',
          'info',
          '--shutdown-grace-seconds',
          '1',
        ]);
        const { port } = new URL(server.url);
        // A client that sends half its body and then nothing more, forever.
        const stuck = connect({ host: '127.0.0.1', port: Number(port) });
        stuck.on('error', () => {});
        const cut = new Promise((resolve) => stuck.once('close', resolve));
        await new Promise((resolve) => stuck.once('connect', resolve));
        stuck.write(
          'POST /v1/principals HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
            'content-length: 1000\r\n\r\n{"links":',
        );
        await waitFor(() => /"route":"\/v1\/principals"/.test(server.stdout.join('')));
        const signalled = Date.now();
        server.proc.kill('SIGTERM');
        await cut;
        const waited = Date.now() - signalled;
        assert.equal(await server.stop(), 0);
        assert.ok(waited >= 900, `cut after ${waited} ms, before the grace period`);
        assert.match(server.stdout.join(''), /shutdown grace period over/);
      },
    );
  });
}

/** Polls `cond` (bounded: 10 s) until it holds. */
async function waitFor(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await sleep(20);
  }
  throw new Error('condition never held');
}

/** Whether a TCP connection to the port on loopback is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('database outage (postgres)', { skip: !(await postgresAvailable()) }, () => {
  const storage = new Storage('postgres');
  let server: ServerProcess;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  const cut = () =>
    admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${storage.dbName}' AND pid <> pg_backend_pid()`,
    );
  before(async () => {
    server = await spawnServer(storage);
  });
  after(async () => {
    await admin(`ALTER DATABASE ${storage.dbName} WITH ALLOW_CONNECTIONS true`).catch(() => {});
    await server.stop();
    await storage.destroy();
  });

  it('answers 503 HUSH_ERR_UNAVAILABLE while the database refuses connections, then recovers', async () => {
    const alice = await TestClient.create(server.url);
    const team = await TestTeam.create(alice);
    // Killing the server's connections while new ones succeed: every answer is 200 or 503.
    for (let i = 0; i < 5; i++) {
      await cut();
      const r = await alice.request('GET', '/v1/teams');
      assert.ok([200, 503].includes(r.status), `status ${r.status}`);
    }
    await admin(`ALTER DATABASE ${storage.dbName} WITH ALLOW_CONNECTIONS false`);
    try {
      await cut();
      assert.equal((await get(`${server.url}/healthz`)).status, 200);
      const ready = await get(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(errorCode(ready.body), 'HUSH_ERR_UNAVAILABLE');
      const down = [
        await alice.request('GET', '/v1/teams'),
        await alice.request('GET', `/v1/teams/${team.id}/links`),
        await alice.request(
          'POST',
          '/v1/auth/challenge',
          { deviceId: alice.deviceId },
          { auth: false },
        ),
        await alice.request(
          'POST',
          '/v1/principals',
          { links: alice.links.map(toBase64url) },
          { auth: false },
        ),
      ];
      for (const r of down) {
        assert.equal(r.status, 503);
        assert.equal(r.body.error?.code, 'HUSH_ERR_UNAVAILABLE');
      }
    } finally {
      await admin(`ALTER DATABASE ${storage.dbName} WITH ALLOW_CONNECTIONS true`);
    }
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await get(`${server.url}/readyz`)).status;
      if (ready !== 200) await sleep(50);
    }
    assert.equal(ready, 200);
    assert.equal((await alice.request('GET', '/v1/teams')).status, 200);
    assert.equal(server.proc.exitCode, null);
    const metrics = (await get(`${server.url}/metrics`)).text;
    assert.match(metrics, /hush_db_errors_total\{kind="unavailable"\} [1-9]/);
    assert.match(metrics, /hush_db_errors_total\{kind="readiness"\} [1-9]/);
  });
});

describe('limits and metrics (units)', () => {
  it('token buckets: a full burst, then one token per 1/rate seconds, memory bounded', () => {
    const t = new TokenBuckets(5, 10, 4, 0);
    for (let i = 0; i < 10; i++) assert.equal(t.take('a', 0), 0);
    assert.equal(t.take('a', 0), 0.2);
    assert.equal(t.take('a', 100), 0.1);
    assert.equal(t.take('a', 200), 0);
    assert.equal(t.take('b', 200), 0);
    // Refilled buckets carry nothing and are swept; beyond maxKeys the oldest keys go.
    t.sweep(10_000);
    assert.equal(t.size, 0);
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) t.take(k, 20_000);
    assert.ok(t.size <= 4);
  });

  it('keys clients by address, IPv6 by /64, and trusts X-Forwarded-For only from loopback', () => {
    assert.equal(clientKey('127.0.0.1', undefined), undefined);
    assert.equal(clientKey('::1', ''), undefined);
    assert.equal(clientKey('::ffff:127.0.0.1', 'x, 198.51.100.7'), '198.51.100.7');
    assert.equal(clientKey('203.0.113.5', '198.51.100.7'), '203.0.113.5');
    assert.equal(clientKey('::ffff:203.0.113.5', undefined), '203.0.113.5');
    assert.equal(clientKey('2001:db8:a:b:1:2:3:4', undefined), '2001:db8:a:b::/64');
    assert.equal(clientKey('127.0.0.1', '2001:DB8:a:b::9'), '2001:db8:a:b::/64');
    assert.equal(clientKey('2001:db8::1', undefined), '2001:db8:0:0::/64');
    assert.equal(clientKey('127.0.0.1', 'not an address'), 'invalid');
  });

  it('renders counters, gauges and histograms in the exposition format, escaping labels', () => {
    const c = new Counter('hush_test_total', 'a test counter', ['route']);
    c.inc({ route: 'a"b\\c\nd' }, 2);
    const g = new Gauge('hush_test_open', 'a test gauge');
    g.inc();
    g.collect(() => 2);
    const h = new Histogram('hush_test_seconds', 'a test histogram', [0.1, 1]);
    h.observe({}, 0.05);
    h.observe({}, 5);
    const text = renderMetrics();
    assert.ok(text.includes('hush_test_total{route="a\\"b\\\\c\\nd"} 2\n'));
    assert.ok(text.includes('# TYPE hush_test_open gauge\nhush_test_open 3\n'));
    assert.ok(text.includes('hush_test_seconds_bucket{le="0.1"} 1\n'));
    assert.ok(text.includes('hush_test_seconds_bucket{le="1"} 1\n'));
    assert.ok(text.includes('hush_test_seconds_bucket{le="+Inf"} 2\n'));
    assert.ok(text.includes('hush_test_seconds_sum 5.05\nhush_test_seconds_count 2\n'));
  });
});
