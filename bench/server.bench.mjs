// Relay server: durable object writes per second next to a route that stores nothing (the
// ceiling), and push delivery latency at a steady 1,000 writes/s with 1, 100 and 1,000 SSE
// subscribers, each on SQLite and on PostgreSQL, against the real server process.
import { ConnWorker } from './lib/conns.mjs';
import { buildTeam, provision, sealObjects } from './lib/fixture.mjs';
import { closedLoop, encodeAll, openConns } from './lib/http.mjs';
import { pushPhase } from './lib/push-latency.mjs';
import { cpuWatch, newStorage, startServer } from './lib/server.mjs';
import { summary } from './lib/stats.mjs';
import { WARM_SECONDS, durableWrites } from './lib/write-phase.mjs';

const WRITERS = 50;
const THROUGHPUT_SECONDS = 5;
/** Envelopes prepared for the warm-up and the counted writes: the run ends early if they run out. */
const THROUGHPUT_WRITES = 80_000;
/** Uncounted seconds of GET /healthz before the ceiling's counted ones (closedLoop). */
const CEILING_WARM_SECONDS = 2;
const ENVELOPE_BYTES = 400;
const RATE = 1000;
const PUSH_SECONDS = 4;
const SUBSCRIBERS = [1, 100, 1000];
/** Reader members holding the subscriber connections (spread evenly). */
const READERS = 4;
/** Keep-alive connections of the steady-rate writer, opened before the subscribers. */
const PACED_CONNS = 256;

const NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function throughput(server, clients, writes) {
  const conns = await openConns(server.port, server.host, WRITERS);
  try {
    const [healthz] = encodeAll(server, [{ method: 'GET', path: '/healthz' }]);
    const ceiling = await closedLoop(conns, () => healthz, {
      seconds: THROUGHPUT_SECONDS,
      warmSeconds: CEILING_WARM_SECONDS,
    });
    const put = await durableWrites(server, conns, writes, clients.owner.accessToken, {
      seconds: THROUGHPUT_SECONDS,
    });
    return { ceiling, ...put };
  } finally {
    for (const c of conns) c.close();
  }
}

async function measure(kind, team, writes, paced) {
  const storage = newStorage(kind);
  let server;
  let worker;
  try {
    server = await startServer(storage);
    worker = new ConnWorker(Math.max(...SUBSCRIBERS) + 256);
    const clients = await provision(server.url, team);
    const watch = cpuWatch([server.pid, worker.pid]);
    const tp = await throughput(server, clients, writes);
    const tokens = clients.members.map((m) => m.accessToken);
    const pool = await openConns(server.port, server.host, PACED_CONNS);
    await Promise.all(pool.map((c) => c.request('GET', '/healthz')));
    const push = [];
    let open = 0;
    let offset = 0;
    for (const subs of SUBSCRIBERS) {
      await worker.openSse(server, tokens, subs - open);
      open = subs;
      const per = RATE * PUSH_SECONDS + 1;
      const batch = paced.slice(offset, offset + per);
      const r = await pushPhase(server, worker, pool, batch, clients.owner.accessToken, {
        rate: RATE,
        seconds: PUSH_SECONDS,
      });
      offset += per;
      push.push({ subs, ...r });
    }
    for (const c of pool) c.close();
    return { tp, push, others: watch.stop() };
  } finally {
    await worker?.close();
    await server?.stop();
    await storage.destroy();
  }
}

/** Writes answered with another status than 201, if any: `; refused: 503 x 2`. */
function refusals(byStatus) {
  const e = Object.entries(byStatus);
  return e.length ? `; refused: ${e.map(([st, k]) => `${st} x ${fmt(k)}`).join(', ')}` : '';
}

function rows(kind, m) {
  const name = NAMES[kind];
  const { tp } = m;
  const lat = summary(tp.put.lat);
  const out = [
    {
      metric: `durable object writes, ${WRITERS} concurrent writers (${name})`,
      unit: 'writes/s',
      hush: tp.put.rate,
      peer: tp.ceiling.rate,
      peerName: 'ceiling: GET /healthz, same client and connections',
      note:
        `${fmt(tp.put.ok)} writes in ${tp.put.seconds.toFixed(1)} s${tp.ranOut ? ' (prepared envelopes ran out)' : ''}; ` +
        `round trip p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms; ` +
        `server CPU ${tp.cpuMs.toFixed(2)} ms per write` +
        (kind === 'postgres' ? ` (PostgreSQL's backends ${tp.dbCpuMs.toFixed(2)} ms)` : '') +
        `${refusals(tp.put.bad)}; ` +
        `in the ${WARM_SECONDS} s of uncounted writes before (the server process's first): ${fmt(tp.put.warm.rate)}/s`,
    },
  ];
  for (const p of m.push) {
    const d = p.delivery;
    const subs = `${fmt(p.subs)} subscriber${p.subs === 1 ? '' : 's'}`;
    const at = `${subs} at ${fmt(RATE)} writes/s (${name})`;
    for (const q of ['p50', 'p99'])
      out.push({
        metric: `push delivery ${q}, ${at}`,
        unit: 'ms',
        hush: d[q],
        peer: p.rtt[q],
        peerName: `write round trip ${q}, same writes`,
        note:
          q === 'p99'
            ? `${fmt(d.delivered)} deliveries, ${d.missing} missing, ` +
              `${((100 * d.early) / Math.max(1, d.delivered)).toFixed(0)}% before the ack`
            : undefined,
      });
    out.push({
      metric: `achieved write rate, ${at}`,
      unit: 'writes/s',
      hush: p.achieved,
      peer: p.offered,
      peerName: 'offered rate, open loop',
      note:
        `CPU, all threads: server ${(100 * p.serverCpu).toFixed(0)}%, subscribers ${(100 * p.workerCpu).toFixed(0)}% of a core` +
        (p.queued ? `; ${fmt(p.queued)} writes waited for a free connection` : '') +
        refusals(p.refused),
    });
  }
  return out;
}

const ms = (x) => `${x < 10 ? x.toFixed(1) : fmt(x)} ms`;

/** The issue's targets against this run's figures. */
function targets(measured) {
  const sqlite = measured.sqlite.tp.put.rate;
  const parts = [
    `Targets (issue 3): at least 5,000 durable writes/s on SQLite: ${sqlite >= 5000 ? 'met' : 'not met'} (${fmt(sqlite)}/s).`,
    `Push p99 under 50 ms at ${fmt(RATE)} writes/s:`,
  ];
  const all = Object.entries(measured);
  all.forEach(([kind, m], i) => {
    const each = m.push.map((p) => {
      const met = p.delivery.p99 < 50 && p.achieved >= 0.98 * p.offered;
      const short = p.achieved < 0.98 * p.offered ? ` at ${fmt(p.achieved)} writes/s` : '';
      return `${fmt(p.subs)} subscriber${p.subs === 1 ? '' : 's'} ${ms(p.delivery.p99)}${short} (${met ? 'met' : 'not met'})`;
    });
    parts.push(`${NAMES[kind]}: ${each.join(', ')}${i === all.length - 1 ? '.' : ';'}`);
  });
  return parts.join(' ');
}

export default async function run() {
  const team = await buildTeam(READERS);
  const writes = await sealObjects(team, THROUGHPUT_WRITES, ENVELOPE_BYTES);
  const paced = await sealObjects(
    team,
    SUBSCRIBERS.length * (RATE * PUSH_SECONDS + 1),
    ENVELOPE_BYTES,
  );
  const out = [];
  const notes = [];
  const measured = {};
  for (const kind of ['sqlite', 'postgres']) {
    try {
      measured[kind] = await measure(kind, team, writes, paced);
      out.push(...rows(kind, measured[kind]));
    } catch (e) {
      if (kind === 'sqlite') throw e;
      notes.push(`PostgreSQL was not measured: ${e.message}`);
    }
  }
  notes.push(targets(measured));
  const others = Object.entries(measured).map(
    ([kind, m]) => `${m.others.toFixed(2)} during the ${NAMES[kind]} runs`,
  );
  notes.push(
    `Processes other than the server and the bench's own (other work on the machine, and PostgreSQL) kept this many of the 2 CPUs busy on average (/proc/stat): ${others.join(', ')}. On this shared machine that load moves the figures by a factor of two or more between runs.`,
  );
  return {
    title: 'Relay server: durable object writes and push delivery',
    rows: out,
    notes: [
      ...notes,
      `The real server process (packages/server/dist/src/main.js, --log-level warn, --rate-limit 1000000) on loopback, one fresh SQLite data dir or PostgreSQL database per run. SQLite runs WAL with synchronous=FULL; PostgreSQL runs its defaults (fsync and synchronous_commit on). A write is acknowledged only after its transaction committed; concurrent writes share one transaction (group commit).`,
      `Writes are PUTs of new message objects (${writes[0].bytes}-byte sealed team envelopes, signed by the owner's device; the server checks the signature, membership and rights). The ceiling is GET /healthz, which stores nothing, measured in the same run over the same ${WRITERS} keep-alive connections with the same lean HTTP client, for ${THROUGHPUT_SECONDS} s each; ratio = writes/ceiling. Each counted loop follows an uncounted one of the same requests (${CEILING_WARM_SECONDS} s for the ceiling, ${WARM_SECONDS} s for the writes): in the first seconds of its writes a new server process is still compiling their paths and writes at about half its later rate, so the counted figures are those of a server that has been running, and the warm-up's rate is in the note. Every request's bytes are encoded before its timed loop, so the client (on the same two cores) spends its CPU only on sending and reading (about 0.03 ms a write).`,
      `Push: an open loop puts ${fmt(RATE)} objects/s for ${PUSH_SECONDS} s over ${PACED_CONNS} keep-alive connections opened beforehand (the first 0.5 s left out) while ${SUBSCRIBERS.map(fmt).join(', ')} SSE connections of ${READERS} reader members follow GET /v1/events. Delivery latency runs from the writer receiving its acknowledgement to a subscriber reading the event off its socket, over every (write, subscriber) pair; an event that arrives before the acknowledgement counts as 0 ms. The subscriber process hands over its receive times only once every event reached every stream (at most 10 s after the last acknowledgement), so computing the figures never delays the reads they measure. Its peer is the write's own round trip (request sent to durable acknowledgement) for the same writes: the time the author itself waits to learn that the write is stored; a ratio above 1 means the other members learned of the write sooner after the acknowledgement than the write took.`,
      `Everything shares the machine's 2 cores: the server, PostgreSQL, the writer and the subscriber process, whose stream parsing (1,000 streams of 1,000 events/s at the top) competes with the server for CPU. The CPU figures in the notes say how busy each was.`,
    ],
  };
}
