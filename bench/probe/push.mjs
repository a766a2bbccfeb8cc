#!/usr/bin/env node
// Probe, not a benchmark (no figures go to docs/BENCHMARKS.md): the push phase of
// bench/server.bench.mjs alone, printing the worst delivery latency of the writes
// acknowledged in each 100 ms, which tells one long pause from a steady queue
// (docs/SERVER-PERFORMANCE.md). Needs `npm run build`.
//
//   node bench/probe/push.mjs [sqlite|postgres] [subscribers,...]    NODE_ARGS="--cpu-prof" SERVER_ENV="K=V ..."
//     SERVER_ROOT=/work/base   another built checkout's server (as ab.mjs's A_ROOT)
import { resolve } from 'node:path';
import { ConnWorker } from '../lib/conns.mjs';
import { buildTeam, provision, sealObjects } from '../lib/fixture.mjs';
import { openConns } from '../lib/http.mjs';
import { pushPhase } from '../lib/push-latency.mjs';
import { envFrom, newStorage, startServer } from '../lib/server.mjs';

const kind = process.argv[2] ?? 'sqlite';
const steps = (process.argv[3] ?? '1000').split(',').map(Number);
const nodeArgs = process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : [];
const RATE = 1000;
const SECONDS = 4;

const team = await buildTeam(4);
const per = RATE * SECONDS + 1;
const writes = await sealObjects(team, steps.length * per, 400);
const storage = newStorage(kind);
const server = await startServer(storage, {
  nodeArgs,
  env: envFrom(process.env.SERVER_ENV),
  ...(process.env.SERVER_ROOT
    ? { main: resolve(process.env.SERVER_ROOT, 'packages/server/dist/src/main.js') }
    : {}),
});
const worker = new ConnWorker(Math.max(...steps) + 256);
try {
  const clients = await provision(server.url, team);
  const tokens = clients.members.map((m) => m.accessToken);
  const pool = await openConns(server.port, server.host, 256);
  await Promise.all(pool.map((c) => c.request('GET', '/healthz')));
  let open = 0;
  for (const [n, subs] of steps.entries()) {
    await worker.openSse(server, tokens, subs - open);
    open = subs;
    const batch = writes.slice(n * per, (n + 1) * per);
    const r = await pushPhase(server, worker, pool, batch, clients.owner.accessToken, {
      rate: RATE,
      seconds: SECONDS,
    });
    const d = r.delivery;
    console.log(
      `${kind}, ${subs} subscribers: p50 ${d.p50.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, ` +
        `${Math.round(r.achieved)} writes/s, ${d.missing} missing, server CPU ${Math.round(100 * r.serverCpu)}%, subscribers ${Math.round(100 * r.workerCpu)}%`,
    );
    console.log(`  worst per 100 ms: ${d.worstPer100ms.map((x) => x ?? '-').join(' ')}`);
  }
  for (const c of pool) c.close();
} finally {
  await worker.close();
  await server.stop();
  await storage.destroy();
}
