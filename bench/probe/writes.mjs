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
import { openConns } from '../lib/http.mjs';
import { newStorage, startServer } from '../lib/server.mjs';
import { summary } from '../lib/stats.mjs';
import { durableWrites } from '../lib/write-phase.mjs';

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
const writes = await sealObjects(team, 80_000, 400);
const storage = newStorage(kind);
const server = await startServer(storage, { nodeArgs });
try {
  const clients = await provision(server.url, team);
  const conns = await openConns(server.port, server.host, writers);
  let threads;
  const { put, cpuMs } = await durableWrites(server, conns, writes, clients.owner.accessToken, {
    seconds: 5,
    onMeasure() {
      const s0 = schedstat(server.pid);
      const t0 = performance.now();
      return {
        stop() {
          const secs = (performance.now() - t0) / 1000;
          const pct = (ns) => Math.round((100 * ns) / 1e9 / secs);
          threads = [...schedstat(server.pid)].map(([t, [run, wait]]) => {
            const [r0, w0] = s0.get(t) ?? [0, 0];
            return `${t} run ${pct(run - r0)}% wait ${pct(wait - w0)}%`;
          });
        },
      };
    },
  });
  const lat = summary(put.lat);
  console.log(
    `${kind}: ${Math.round(put.rate)} writes/s, round trip p50 ${lat.p50.toFixed(1)} ms, ` +
      `p99 ${lat.p99.toFixed(1)} ms, server CPU ${cpuMs.toFixed(2)} ms per write (warm-up ${Math.round(put.warm.rate)} writes/s)`,
  );
  for (const t of threads) console.log(`  thread ${t}`);
  for (const c of conns) c.close();
} finally {
  await server.stop();
  await storage.destroy();
}
