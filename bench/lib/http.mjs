// A lean HTTP/1.1 keep-alive client for load generation: one request at a time per socket,
// responses framed by Content-Length (the server answers every JSON route that way). It
// costs the client far less CPU than node:http or fetch, which matters when the client and
// the server share two cores; every route in a comparison goes through the same client.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './stats.mjs';

const HEAD_END = Buffer.from('\r\n\r\n');

/** The bytes of one keep-alive HTTP/1.1 request to `host:port`. */
export function encodeRequest(host, port, method, path, { token, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\n`;
  if (token) head += `authorization: Bearer ${token}\r\n`;
  if (payload) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
  head += '\r\n';
  return payload ? Buffer.concat([Buffer.from(head), payload]) : Buffer.from(head);
}

/**
 * Prepared requests (`{ method, path, body }`) with their bytes encoded once for `server`
 * (`{ host, port }`) and `token`, before a timed loop: the client then spends its CPU on
 * sending and reading only, which leaves more of the shared cores to the server.
 */
export function encodeAll(server, requests, token) {
  return requests.map((r) => ({
    ...r,
    token,
    raw: encodeRequest(server.host, server.port, r.method, r.path, { token, body: r.body }),
  }));
}

export class Conn {
  #sock;
  #buf = Buffer.alloc(0);
  #want = -1;
  #status = 0;
  #pending;

  constructor(port, host) {
    this.host = host;
    this.port = port;
    this.#sock = net.connect(port, host);
    this.#sock.setNoDelay(true);
    this.opened = new Promise((resolve, reject) => {
      this.#sock.once('connect', resolve);
      this.#sock.once('error', reject);
    });
    this.#sock.on('data', (d) => this.#data(d));
    this.#sock.on('error', (e) => this.#fail(e));
    this.#sock.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  #fail(e) {
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(e);
  }

  #data(d) {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    for (;;) {
      if (this.#want < 0) {
        const end = this.#buf.indexOf(HEAD_END);
        if (end < 0) return;
        const head = this.#buf.toString('latin1', 0, end);
        this.#status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!m) {
          this.#fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
          this.#sock.destroy();
          return;
        }
        this.#want = Number(m[1]);
        this.#buf = this.#buf.subarray(end + 4);
      }
      if (this.#buf.length < this.#want) return;
      const body = this.#buf.subarray(0, this.#want);
      this.#buf = this.#buf.subarray(this.#want);
      this.#want = -1;
      const p = this.#pending;
      this.#pending = undefined;
      p?.resolve({ status: this.#status, body });
    }
  }

  /**
   * Sends a request; resolves with `{ status, body }` (body a Buffer). `raw` is the request
   * already encoded (`encodeRequest`), which costs the client nothing more to send.
   */
  request(method, path, { token, body, raw } = {}) {
    const bytes = raw ?? encodeRequest(this.host, this.port, method, path, { token, body });
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#sock.write(bytes);
    });
  }

  close() {
    this.#pending = undefined;
    this.#sock.destroy();
  }
}

/** Opens `n` keep-alive connections. */
export async function openConns(port, host, n) {
  const conns = Array.from({ length: n }, () => new Conn(port, host));
  await Promise.all(conns.map((c) => c.opened));
  return conns;
}

/** One closed loop of `seconds`: counts, and round-trip times, of the answers. */
async function loop(conns, next, seconds, okStatus) {
  let ok = 0;
  const bad = new Map();
  const lat = [];
  const t0 = now();
  const stopAt = t0 + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      for (let r = next(); r && now() < stopAt; r = next()) {
        const s = now();
        const res = await c.request(r.method, r.path, r);
        lat.push(now() - s);
        if (res.status === okStatus) ok++;
        else bad.set(res.status, (bad.get(res.status) ?? 0) + 1);
      }
    }),
  );
  const elapsed = (now() - t0) / 1000;
  return { ok, bad: Object.fromEntries(bad), seconds: elapsed, rate: ok / elapsed, lat };
}

/**
 * Closed loop: every connection sends its next request as soon as the previous one was
 * answered, for `seconds`, or until `next()` returns undefined. Returns the rate of requests
 * answered with `okStatus`. The same loop runs `warmSeconds` before that without being
 * counted (its rate is returned as `warm`): a freshly started server compiles its hot paths
 * in its first seconds, and runs at about half its rate meanwhile
 * (docs/SERVER-PERFORMANCE.md), so a figure taken then says little about a server that has
 * been up for minutes. `onMeasure()`, when given, runs as the counted loop starts and its
 * result's `stop()` as it ends.
 */
export async function closedLoop(
  conns,
  next,
  { seconds, warmSeconds = 0, okStatus = 200, onMeasure },
) {
  const warm = warmSeconds > 0 ? await loop(conns, next, warmSeconds, okStatus) : undefined;
  const probe = onMeasure?.();
  const counted = await loop(conns, next, seconds, okStatus);
  probe?.stop();
  return { ...counted, warm: warm && { ok: warm.ok, rate: warm.rate, bad: warm.bad } };
}

/**
 * Open loop: starts `rate` requests per second, evenly, for `seconds`, whatever the server's
 * pace, on the given keep-alive connections (opened and used beforehand, so no request pays
 * for a new connection); when all are busy a request waits for a free one, and `queued`
 * counts those. `onAck(response, sendTime, ackTime)` sees each answer.
 */
export async function openLoop(conns, next, onAck, { rate, seconds }) {
  const idle = [...conns];
  const waiters = [];
  let queued = 0;
  const inflight = new Set();
  const take = () => {
    const c = idle.pop();
    if (c) return c;
    queued++;
    return new Promise((resolve) => waiters.push(resolve));
  };
  const give = (c) => {
    const w = waiters.shift();
    if (w) w(c);
    else idle.push(c);
  };
  const fire = async (r) => {
    const c = await take();
    const s = now();
    const res = await c.request(r.method, r.path, r);
    const a = now();
    give(c);
    onAck(res, s, a);
  };
  const t0 = now();
  const count = Math.round(rate * seconds);
  let started = 0;
  while (started < count) {
    const due = Math.min(count, Math.floor(((now() - t0) * rate) / 1000) + 1);
    for (; started < due; started++) {
      const r = next();
      if (!r) throw new Error('ran out of prepared requests');
      const p = fire(r);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  return { started, seconds: (now() - t0) / 1000, queued };
}
