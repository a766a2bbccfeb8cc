#!/usr/bin/env node
// Probe, not a benchmark (no figures go to docs/BENCHMARKS.md): compares two server variants
// on the durable-write phase of bench/server.bench.mjs, alternating A and B round after
// round, so that both see the same minutes of this shared machine (docs/SERVER-PERFORMANCE.md
// "How to look"). A variant is another build (a worktree of an older commit, built) and/or
// node flags. The objects are sealed once and replayed into fresh storage every round.
//
//   node bench/probe/ab.mjs [sqlite|postgres]
//     A_ROOT=/work/base  B_ROOT=.          repository roots, each built (default: this one)
//     A_ARGS="" B_ARGS="--max-semi-space-size=64"   node flags per variant
//     A_ENV="" B_ENV="UV_THREADPOOL_SIZE=1"         environment per variant (K=V ...)
//     ROUNDS=6 SECONDS=4 WRITERS=50
//
// Prints each run, then per variant the median writes/s and server CPU per write (on
// PostgreSQL also its backends' CPU per write), and the median of the paired differences
// (B - A, round by round).
import { resolve } from 'node:path';
import { buildTeam, provision, sealObjects } from '../lib/fixture.mjs';
import { openConns } from '../lib/http.mjs';
import { envFrom, newStorage, startServer } from '../lib/server.mjs';
import { WARM_SECONDS, durableWrites } from '../lib/write-phase.mjs';

const kind = process.argv[2] ?? 'sqlite';
const rounds = Number(process.env.ROUNDS ?? 6);
const seconds = Number(process.env.SECONDS ?? 4);
const writers = Number(process.env.WRITERS ?? 50);
const variant = (name) => ({
  name,
  main: resolve(process.env[`${name}_ROOT`] ?? '.', 'packages/server/dist/src/main.js'),
  nodeArgs: (process.env[`${name}_ARGS`] ?? '').split(' ').filter(Boolean),
  env: envFrom(process.env[`${name}_ENV`]),
});
const variants = [variant('A'), variant('B')];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One durable-write run of `v` on fresh storage: writes/s and server CPU ms per write. */
async function run(v, team, writes) {
  const storage = newStorage(kind);
  const server = await startServer(storage, { main: v.main, nodeArgs: v.nodeArgs, env: v.env });
  try {
    const { owner } = await provision(server.url, team);
    const conns = await openConns(server.port, server.host, writers);
    const {
      put,
      cpuMs: cpu,
      dbCpuMs: dbCpu,
    } = await durableWrites(server, conns, writes, owner.accessToken, {
      seconds,
    });
    for (const c of conns) c.close();
    if (Object.keys(put.bad).length > 0) throw new Error(`bad answers: ${JSON.stringify(put.bad)}`);
    return { rate: put.rate, cpu, dbCpu };
  } finally {
    await server.stop();
    await storage.destroy();
  }
}

for (const v of variants)
  console.log(`${v.name}: ${v.main} ${v.nodeArgs.join(' ')} ${JSON.stringify(v.env)}`);
const team = await buildTeam(4);
const writes = await sealObjects(team, Math.ceil((seconds + WARM_SECONDS) * 9000), 400);
const results = { A: [], B: [] };
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so neither always runs right after the sealing or the other.
  for (const v of r % 2 ? [...variants].reverse() : variants) {
    const x = await run(v, team, writes);
    results[v.name].push(x);
    console.log(
      `round ${r + 1} ${v.name}: ${Math.round(x.rate)} writes/s, ${x.cpu.toFixed(3)} ms CPU per write` +
        (kind === 'postgres' ? ` (PostgreSQL ${x.dbCpu.toFixed(3)} ms)` : ''),
    );
  }
}
for (const v of variants) {
  const xs = results[v.name];
  console.log(
    `${v.name} median: ${Math.round(median(xs.map((x) => x.rate)))} writes/s, ` +
      `${median(xs.map((x) => x.cpu)).toFixed(3)} ms CPU per write` +
      (kind === 'postgres' ? ` (PostgreSQL ${median(xs.map((x) => x.dbCpu)).toFixed(3)} ms)` : ''),
  );
}
const diffs = results.A.map((a, k) => results.B[k].rate - a.rate);
const cpuDiffs = results.A.map((a, k) => results.B[k].cpu - a.cpu);
console.log(
  `B - A, median of ${rounds} paired rounds: ${Math.round(median(diffs))} writes/s ` +
    `(${diffs.filter((d) => d > 0).length} of ${rounds} rounds B faster), ` +
    `${median(cpuDiffs).toFixed(3)} ms CPU per write`,
);
