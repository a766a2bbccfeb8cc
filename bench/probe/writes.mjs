#!/usr/bin/env node
// Probe, not a benchmark (no figures go to docs/BENCHMARKS.md): the durable-write phase of
// bench/server.bench.mjs alone, with where the server's CPU went, per thread, for profiling
// work (docs/SERVER-PERFORMANCE.md). Needs `npm run build`.
//
//   node bench/probe/writes.mjs [sqlite|postgres]    WRITERS=50 NODE_ARGS="--cpu-prof"
//
// Prints writes/s, round-trip p50/p99, server CPU per write, and for each server thread its
// share of a CPU running and waiting to run (/proc/PID/task/TID/schedstat).
import { readdirSync, readFileSync } from 'node:fs';
import { buildTeam, provision, sealObjects } from '../lib/fixture.mjs';
import { closedLoop, encodeAll, openConns } from '../lib/http.mjs';
import { newStorage, startServer } from '../lib/server.mjs';
import { summary } from '../lib/stats.mjs';

const kind = process.argv[2] ?? 'sqlite';
const writers = Number(process.env.WRITERS ?? 50);
const nodeArgs = process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : [];

/** Per thread of `pid`: [ns running, ns runnable but waiting]. */
function schedstat(pid) {
  return new Map(
    readdirSync(`/proc/${pid}/task`).map((t) => {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ');
      return [t, [Number(run), Number(wait)]];
    }),
  );
}

const team = await buildTeam(4);
const writes = await sealObjects(team, 40_000, 400);
const storage = newStorage(kind);
const server = await startServer(storage, { nodeArgs });
try {
  const clients = await provision(server.url, team);
  const conns = await openConns(server.port, server.host, writers);
  let i = 0;
  const ready = encodeAll(server, writes, clients.owner.accessToken);
  const cpu0 = server.cpuSeconds();
  const s0 = schedstat(server.pid);
  const t0 = performance.now();
  const put = await closedLoop(conns, () => ready[i++], {
    seconds: 5,
    warmup: 200,
    okStatus: 201,
  });
  const secs = (performance.now() - t0) / 1000;
  const threads = [...schedstat(server.pid)].map(([t, [run, wait]]) => {
    const [r0, w0] = s0.get(t) ?? [0, 0];
    const pct = (ns) => Math.round((100 * ns) / 1e9 / secs);
    return `${t} run ${pct(run - r0)}% wait ${pct(wait - w0)}%`;
  });
  const lat = summary(put.lat);
  console.log(
    `${kind}: ${Math.round(put.rate)} writes/s, round trip p50 ${lat.p50.toFixed(1)} ms, ` +
      `p99 ${lat.p99.toFixed(1)} ms, server CPU ${(((server.cpuSeconds() - cpu0) * 1000) / put.ok).toFixed(2)} ms per write`,
  );
  for (const t of threads) console.log(`  thread ${t}`);
  for (const c of conns) c.close();
} finally {
  await server.stop();
  await storage.destroy();
}
