// Child process holding many client connections to one server, driven over IPC by
// bench/lib/conns.mjs: SSE subscribers (GET /v1/events) or plain keep-alive HTTP connections.
// It runs apart from the writer so that parsing thousands of streams does not delay the
// writer's own timing, and so it can be given a raised open-file limit.
//
// SSE parsing is deliberately lean: a chunk is scanned with indexOf for `event: object`
// frames and their `"seq":` field, and one clock reading serves every frame in the chunk.
// The stream is chunked transfer-encoded; the server writes whole frames per chunk, so the
// chunk-size lines fall between frames, where the scan ignores them.
import net from 'node:net';
import { now, quantile } from './stats.mjs';

const conns = [];
/** Where every SSE socket reads (see openOne). */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** Receive times: one row of `armed.count` slots per connection, NaN until received. */
let armed = { from: 0, count: 0, times: new Float64Array(0), rows: 0 };

function record(c, seq, t) {
  const k = seq - armed.from;
  if (c.index >= armed.rows || k < 0 || k >= armed.count) return;
  const slot = c.index * armed.count + k;
  if (Number.isNaN(armed.times[slot])) armed.times[slot] = t;
}

function onSse(c, chunk) {
  const t = now();
  let s = c.rest + chunk.toString('latin1');
  if (!c.ready && s.includes('\r\n\r\n') && !s.startsWith('HTTP/1.1 200'))
    return c.fail(new Error(`GET /v1/events: ${s.split('\r\n')[0]} ${s.split('\r\n\r\n')[1]}`));
  const end = s.lastIndexOf('\n\n');
  if (end < 0) {
    c.rest = s;
    return;
  }
  c.rest = s.slice(end + 2);
  s = s.slice(0, end + 2);
  if (!c.ready && s.includes('\nevent: ready\n')) c.ready = true;
  for (let i = s.indexOf('event: object\n'); i >= 0; i = s.indexOf('event: object\n', i + 14)) {
    const j = s.indexOf('"seq":', i);
    if (j < 0) break;
    record(c, parseInt(s.slice(j + 6, j + 22), 10), t);
  }
  c.onReady?.();
}

function onPlain(c, chunk) {
  c.rest += chunk.toString('latin1');
  const head = c.rest.indexOf('\r\n\r\n');
  if (head < 0) return;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(c.rest.slice(0, head));
  if (!m || c.rest.length < head + 4 + Number(m[1])) return;
  if (!c.rest.startsWith('HTTP/1.1 200')) return c.fail(new Error(c.rest.split('\r\n')[0]));
  c.rest = '';
  c.answered = now();
  c.ready = true;
  c.onReady?.();
}

function openOne(port, host, mode, token) {
  return new Promise((resolve, reject) => {
    const c = { index: conns.length, rest: '', ready: false, answered: 0 };
    // SSE sockets read into one shared buffer (onSse copies each chunk into a string before
    // it returns): no Buffer per read and no stream 'data' events.
    const sock =
      mode === 'sse'
        ? net.connect({
            port,
            host,
            onread: { buffer: READ_BUFFER, callback: (n, b) => onSse(c, b.subarray(0, n)) },
          })
        : net.connect(port, host);
    c.sock = sock;
    c.fail = (e) => {
      sock.destroy();
      c.onReady = undefined;
      reject(e);
    };
    c.onReady = () => {
      if (!c.ready) return;
      c.onReady = undefined;
      resolve(c);
    };
    sock.on('error', (e) => c.fail(e));
    if (mode !== 'sse') sock.on('data', (d) => onPlain(c, d));
    sock.once('connect', () => {
      sock.setNoDelay(true);
      c.request =
        mode === 'sse'
          ? `GET /v1/events HTTP/1.1\r\nhost: ${host}:${port}\r\naccept: text/event-stream\r\nauthorization: Bearer ${token}\r\n\r\n`
          : `GET /healthz HTTP/1.1\r\nhost: ${host}:${port}\r\n\r\n`;
      sock.write(c.request);
    });
  });
}

/** Opens `count` connections, at most `concurrency` being set up at once. */
async function open({ port, host, mode, tokens, count, concurrency = 200 }) {
  let started = 0;
  let failed = 0;
  let firstError;
  const t0 = now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (started < count) {
        const token = tokens[started % tokens.length];
        started++;
        try {
          const c = await openOne(port, host, mode, token);
          c.index = conns.length;
          conns.push(c);
        } catch (e) {
          failed++;
          firstError ??= `${e.code ?? ''} ${e.message}`.trim();
          // Out of descriptors or ports: more attempts would fail the same way.
          if (e.code === 'EMFILE' || e.code === 'EADDRNOTAVAIL') started = count;
        }
      }
    }),
  );
  return { open: conns.length, failed, firstError, seconds: (now() - t0) / 1000 };
}

/** Starts recording receive times of object events with seq in [from, from + count). */
function arm({ from, count }) {
  armed = { from, count, rows: conns.length, times: new Float64Array(conns.length * count) };
  armed.times.fill(NaN);
  return { rows: armed.rows };
}

/**
 * Delivery latencies against `ref[k]` (the writer's time for seq from + k), over the slots
 * k in [skip, ref.length) whose ref is known. A delivery before its reference time counts
 * as 0 ms and is tallied in `early`.
 */
function collect({ ref, skip = 0 }) {
  const lat = [];
  let missing = 0;
  let early = 0;
  let last = -Infinity;
  // The worst latency of the writes acknowledged in each 100 ms of the phase: tells one long
  // pause from a steady queue.
  const t0 = ref.slice(skip).find((x) => x !== null && Number.isFinite(x));
  const worst = [];
  for (let r = 0; r < armed.rows; r++) {
    for (let k = skip; k < ref.length; k++) {
      if (ref[k] === null || !Number.isFinite(ref[k])) continue;
      const t = armed.times[r * armed.count + k];
      if (Number.isNaN(t)) {
        missing++;
        continue;
      }
      const d = t - ref[k];
      if (d < 0) early++;
      lat.push(Math.max(0, d));
      if (t > last) last = t;
      const b = Math.floor((ref[k] - t0) / 100);
      if (!(worst[b] >= d)) worst[b] = Math.max(0, d);
    }
  }
  const s = Float64Array.from(lat).sort();
  return {
    delivered: s.length,
    missing,
    early,
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s.length ? s[s.length - 1] : NaN,
    last,
    worstPer100ms: Array.from(worst, (x) => (x === undefined ? null : Math.round(x))),
  };
}

/**
 * Resolves once every connection recorded every armed event, or after `timeoutMs`, while
 * this process keeps reading its sockets: `collect` walks every slot (millions at 1,000
 * connections) and reads nothing while it runs, so collecting before the deliveries ended
 * would stamp the last ones late by the length of that walk.
 */
function settle({ timeoutMs }) {
  const deadline = now() + timeoutMs;
  const done = () => {
    for (let i = 0; i < armed.rows * armed.count; i++)
      if (Number.isNaN(armed.times[i])) return false;
    return true;
  };
  return new Promise((resolve) => {
    const check = () => {
      if (done()) resolve({ settled: true });
      else if (now() >= deadline) resolve({ settled: false });
      else setTimeout(check, 20);
    };
    check();
  });
}

/** Sends GET /healthz on every plain connection at once; times the last answer. */
async function poll() {
  const t0 = now();
  let left = conns.length;
  await new Promise((resolve) => {
    if (left === 0) resolve();
    for (const c of conns) {
      c.ready = false;
      c.onReady = () => {
        c.onReady = undefined;
        if (--left === 0) resolve();
      };
      c.sock.write(c.request);
    }
  });
  const s = Float64Array.from(conns, (c) => c.answered - t0).sort();
  return { sent: t0, p50: quantile(s, 0.5), max: s[s.length - 1] };
}

/** How many connections are still open (the server may have closed some). */
function alive() {
  return { alive: conns.filter((c) => !c.sock.destroyed).length };
}

const ops = { open, arm, collect, settle, poll, alive };

process.on('message', async ({ id, op, args }) => {
  try {
    process.send({ id, ok: await ops[op](args) });
  } catch (e) {
    process.send({ id, err: String(e?.stack ?? e) });
  }
});
process.on('disconnect', () => process.exit(0));
