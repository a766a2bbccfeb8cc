// The durable-write phase, as the server bench and its probes (bench/probe/writes.mjs, ab.mjs)
// all run it: sealed objects PUT over keep-alive connections in a closed loop, after a
// warm-up of the same loop that is not counted.
import { closedLoop, encodeAll } from './http.mjs';

/** Seconds of uncounted writes before the counted ones (see closedLoop). */
export const WARM_SECONDS = 4;

/**
 * Puts `writes` (from fixture.mjs sealObjects) as `token`'s device over `conns` for
 * `warmSeconds` uncounted, then `seconds` counted. Returns the closed loop's result, the
 * server's CPU per counted write (ms, all threads), PostgreSQL's (`dbCpuMs`, its backends;
 * 0 on SQLite), and whether the prepared writes ran out.
 * `onMeasure` is passed on to closedLoop.
 */
export async function durableWrites(
  server,
  conns,
  writes,
  token,
  { seconds, warmSeconds = WARM_SECONDS, onMeasure },
) {
  const ready = encodeAll(server, writes, token);
  let i = 0;
  let cpu0 = 0;
  let db0 = 0;
  let cpuMs = 0;
  let dbCpuMs = 0;
  const put = await closedLoop(conns, () => ready[i++], {
    seconds,
    warmSeconds,
    okStatus: 201,
    onMeasure() {
      const inner = onMeasure?.();
      cpu0 = server.cpuSeconds();
      db0 = server.databaseCpuSeconds();
      return {
        stop() {
          cpuMs = (server.cpuSeconds() - cpu0) * 1000;
          dbCpuMs = (server.databaseCpuSeconds() - db0) * 1000;
          inner?.stop();
        },
      };
    },
  });
  const per = Math.max(1, put.ok);
  return { put, cpuMs: cpuMs / per, dbCpuMs: dbCpuMs / per, ranOut: i > writes.length };
}
