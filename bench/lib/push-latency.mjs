// Push delivery latency at a steady write rate: the writer (this process) puts objects at
// `rate` per second, open loop, and notes when each write was sent and acknowledged; the
// subscribers (a conn-worker process) note when each object event arrived on each stream.
// Both clocks are CLOCK_MONOTONIC, so the two sides compare directly.
import { encodeAll, openLoop } from './http.mjs';
import { cpuSecondsOf } from './server.mjs';
import { now, sleep, summary } from './stats.mjs';

/** Longest wait for the last deliveries after the last acknowledgement. */
const DRAIN_MS = 10_000;

/**
 * Runs one steady-rate phase with the worker's current subscribers, writing over `pool`
 * (open keep-alive connections). `writes` are prepared PUT requests (one more than
 * rate * seconds is used: the first, untimed, learns the team's object sequence). The first
 * `warmupSeconds` of writes are left out of the figures.
 */
export async function pushPhase(server, worker, pool, writes, token, opts) {
  const { rate, seconds, warmupSeconds = 0.5 } = opts;
  const n = Math.round(rate * seconds);
  let i = 0;
  const ready = encodeAll(server, writes.slice(0, n + 1), token);
  const next = () => ready[i++];
  // One write first: its sequence number tells which numbers the timed writes will get.
  const first = next();
  const r0 = await pool[0].request(first.method, first.path, first);
  if (r0.status !== 201) throw new Error(`object write: ${r0.status} ${r0.body}`);
  const from = JSON.parse(r0.body.toString()).seq + 1;
  await worker.arm(from, n);

  const sent = new Float64Array(n).fill(NaN);
  const acked = new Float64Array(n).fill(NaN);
  const refused = new Map();
  let lastAck = -Infinity;
  const cpu0 = cpuSecondsOf(server.pid);
  const wcpu0 = cpuSecondsOf(worker.pid);
  const t0 = now();
  const loop = await openLoop(
    pool,
    next,
    (res, s, a) => {
      if (res.status !== 201) {
        refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
        return;
      }
      const k = JSON.parse(res.body.toString()).seq - from;
      if (k < 0 || k >= n) return;
      sent[k] = s;
      acked[k] = a;
      lastAck = Math.max(lastAck, a);
    },
    { rate, seconds },
  );
  const busy = (now() - t0) / 1000;
  const cpu = (cpuSecondsOf(server.pid) - cpu0) / busy;
  const workerCpu = (cpuSecondsOf(worker.pid) - wcpu0) / busy;

  const skip = Math.round(rate * warmupSeconds);
  // Let the last deliveries arrive before collecting (see settle in conn-worker.mjs).
  await worker.settle(DRAIN_MS);
  let d = await worker.collect(acked, skip);
  const deadline = Date.now() + DRAIN_MS;
  while (d.missing > 0 && Date.now() < deadline) {
    await sleep(250);
    d = await worker.collect(acked, skip);
  }
  const rtt = [];
  for (let k = skip; k < n; k++) if (Number.isFinite(acked[k])) rtt.push(acked[k] - sent[k]);
  const ok = acked.filter(Number.isFinite).length;
  return {
    offered: rate,
    achieved: ok / ((lastAck - t0) / 1000),
    acknowledged: ok,
    refused: Object.fromEntries(refused),
    queued: loop.queued,
    delivery: d,
    rtt: summary(rtt),
    serverCpu: cpu,
    workerCpu,
    sent,
    acked,
  };
}
