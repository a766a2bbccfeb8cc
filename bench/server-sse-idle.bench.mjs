// Relay server holding 10,000 idle SSE connections (GET /v1/events): its resident memory
// before and with all of them connected, the cost per connection, and the time one event
// takes to reach all of them. The peer is the same server holding as many idle plain
// keep-alive HTTP connections (no SSE), measured in the same run on the same data.
import { ConnWorker } from './lib/conns.mjs';
import { buildTeam, provision, sealObjects } from './lib/fixture.mjs';
import { Conn } from './lib/http.mjs';
import { cpuWatch, fileLimit, newStorage, startServer } from './lib/server.mjs';
import { now, sleep } from './lib/stats.mjs';

const TARGET = 10_000;
/** Descriptors each process needs besides the connections (files, database, pipes). */
const SPARE_FILES = 512;
/** Reader members the SSE connections are spread over. */
const READERS = 4;
const SETTLE_MS = 2000;
const DELIVERY_TIMEOUT_MS = 60_000;

const MIB = 1024 * 1024;
const fmt = (x) => Math.round(x).toLocaleString('en-US');

/** How many connections the hard open-file limit allows (the soft one is raised per child). */
function reachable() {
  const { hard } = fileLimit();
  return Math.min(TARGET, hard - SPARE_FILES);
}

/** Warms the server (JIT, caches), then lets it settle so the baseline is comparable. */
async function warm(server, token, write) {
  const c = new Conn(server.port, server.host);
  await c.opened;
  for (let i = 0; i < 200; i++) await c.request('GET', '/healthz');
  if (write) {
    const r = await c.request(write.method, write.path, { ...write, token });
    if (r.status !== 201) throw new Error(`object write: ${r.status} ${r.body}`);
  }
  c.close();
  await sleep(SETTLE_MS);
}

/**
 * One server process on `storage` holding `n` connections of `mode` ('plain' or 'sse').
 * `act(server, worker)` runs with all of them open.
 */
async function phase(storage, mode, n, { tokens, owner, write }, act) {
  const server = await startServer(storage, { nofile: n + SPARE_FILES });
  const worker = new ConnWorker(n + SPARE_FILES);
  const watch = cpuWatch([server.pid, worker.pid]);
  try {
    await warm(server, owner, write);
    const before = server.rssMiB();
    const o = await worker.open({ port: server.port, host: server.host, mode, tokens, count: n });
    await sleep(SETTLE_MS);
    const { alive } = await worker.alive();
    const withAll = server.rssMiB();
    const extra = await act(server, worker);
    const after = server.rssMiB();
    return { before, withAll, ...o, alive, ...extra, after, others: watch.stop() };
  } finally {
    await worker.close();
    await server.stop();
  }
}

/** Puts one object and times its event reaching every SSE connection. */
async function eventToAll(server, worker, token, write) {
  // The object's sequence number is known only from the answer, which may come after the
  // event: record a range of them.
  const span = 64;
  await worker.arm(1, span);
  const c = new Conn(server.port, server.host);
  await c.opened;
  const sent = now();
  const r = await c.request(write.method, write.path, { ...write, token });
  const acked = now();
  c.close();
  if (r.status !== 201) throw new Error(`object write: ${r.status} ${r.body}`);
  const ref = new Array(span).fill(NaN);
  ref[JSON.parse(r.body.toString()).seq - 1] = acked;
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  let d = await worker.collect(ref);
  while (d.missing > 0 && Date.now() < deadline) {
    await sleep(50);
    d = await worker.collect(ref);
  }
  return {
    toAll: d.last - acked,
    fromSend: d.last - sent,
    delivered: d.delivered,
    missed: d.missing,
  };
}

export default async function run() {
  const n = reachable();
  if (n < TARGET)
    console.error(
      `server-sse-idle: the hard open-file limit (${fileLimit().hard}) allows only ${n} connections`,
    );
  const team = await buildTeam(READERS);
  const [plainWarm, sseWarm, event] = await sealObjects(team, 3);
  const storage = newStorage('sqlite');
  try {
    // Principals and team are set up once; their tokens stay valid across restarts.
    const s0 = await startServer(storage);
    const clients = await provision(s0.url, team).finally(() => s0.stop());
    const who = {
      tokens: clients.members.map((m) => m.accessToken),
      owner: clients.owner.accessToken,
    };
    const plain = await phase(storage, 'plain', n, { ...who, write: plainWarm }, async (_s, w) =>
      w.poll(),
    );
    const sse = await phase(storage, 'sse', n, { ...who, write: sseWarm }, (s, w) =>
      eventToAll(s, w, who.owner, event),
    );
    return result(n, plain, sse);
  } finally {
    await storage.destroy();
  }
}

function result(n, plain, sse) {
  const per = (p) => ((p.withAll - p.before) * 1024) / Math.max(1, p.alive);
  const conns = `${fmt(sse.alive)} idle SSE connections`;
  const notes = [
    `One SQLite server process (the real main.js) per measurement, on the same data: first holding ${fmt(plain.alive)} idle keep-alive HTTP connections (each answered one GET /healthz, then stays open), then a fresh process holding ${conns} (GET /v1/events as ${READERS} reader members of one team, each stream having received its ready event). Resident memory is VmRSS from /proc/PID/status, read after a warm-up and ${SETTLE_MS / 1000} s of quiet, then ${SETTLE_MS / 1000} s after the last connection opened.`,
    `Baselines before connecting: ${sse.before.toFixed(0)} MiB (SSE process), ${plain.before.toFixed(0)} MiB (plain process). After the event reached everyone: ${sse.after.toFixed(0)} MiB. Connecting took ${sse.seconds.toFixed(1)} s for SSE (authentication and a cursor read each) and ${plain.seconds.toFixed(1)} s for plain HTTP, at most 200 being set up at once.`,
    `One event to all: the object's event reached the last of the ${fmt(sse.delivered)} streams ${sse.toAll.toFixed(0)} ms after its write was acknowledged (${sse.fromSend.toFixed(0)} ms after the write was sent). The peer: every plain connection sends one GET /healthz at the same moment, timed until the last answer (${plain.p50.toFixed(0)} ms median) - what polling once costs the same server. The connections are held by one client process (lean parsing), which shares the 2 cores with the server.`,
    `Processes other than the server and the bench's own kept on average ${plain.others.toFixed(2)} (plain) and ${sse.others.toFixed(2)} (SSE) of the 2 CPUs busy (/proc/stat); the timings move with that load.`,
    sse.alive >= TARGET
      ? `Target: under 1 GiB of server memory with ${fmt(TARGET)} idle SSE connections: ${sse.withAll * MIB < 2 ** 30 ? 'met' : 'not met'} (${sse.withAll.toFixed(0)} MiB).`
      : `Target: under 1 GiB with ${fmt(TARGET)} idle SSE connections: not shown, only ${fmt(sse.alive)} were reached (${sse.withAll.toFixed(0)} MiB).`,
  ];
  if (sse.missed > 0)
    notes.unshift(
      `${fmt(sse.missed)} streams had not received the event after ${DELIVERY_TIMEOUT_MS / 1000} s.`,
    );
  if (n < TARGET)
    notes.unshift(
      `Only ${fmt(n)} connections: the hard open-file limit (${fileLimit().hard}) allows no more; raise it (ulimit -Hn) to measure ${fmt(TARGET)}.`,
    );
  for (const [name, p] of [
    ['SSE', sse],
    ['plain', plain],
  ])
    if (p.failed || p.alive < p.open)
      notes.unshift(
        `${name}: ${fmt(p.open)} of ${fmt(n)} connections opened, ${fmt(p.alive)} still open when measured${p.firstError ? ` (first error: ${p.firstError})` : ''}.`,
      );
  const peerName = `same server, ${fmt(plain.alive)} idle keep-alive HTTP connections`;
  return {
    title: 'Relay server: 10,000 idle SSE connections',
    rows: [
      {
        metric: `server resident memory with ${conns}`,
        unit: 'MiB',
        hush: sse.withAll,
        peer: plain.withAll,
        peerName,
        ratio: plain.withAll / sse.withAll,
        note: `${sse.before.toFixed(0)} MiB before connecting (plain: ${plain.before.toFixed(0)} MiB)`,
      },
      {
        metric: 'server memory per idle connection',
        unit: 'KiB',
        hush: per(sse),
        peer: per(plain),
        peerName,
        ratio: per(plain) / per(sse),
        note: 'growth of resident memory from before connecting, divided by the connections',
      },
      {
        metric: `one event to all ${conns}`,
        unit: 'ms',
        hush: sse.toAll,
        peer: plain.max,
        peerName: `${fmt(plain.alive)} keep-alive clients each poll GET /healthz once`,
        note: 'from the write acknowledgement to the last stream receiving it',
      },
    ],
    notes,
  };
}
