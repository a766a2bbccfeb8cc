// Starts the real hush server process for a bench, as the server tests do: `node main.js
// --port 0 --data-dir DIR [--database-url URL]`, waiting for its "listening on URL" line.
// PostgreSQL gets a fresh database per run (CREATE DATABASE on the admin URL, dropped after).
// The process can be started with a raised open-file limit, and exposes its resident memory
// and CPU time from /proc.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Storage } from '../../packages/server/dist/test/harness.js';

const MAIN = new URL('../../packages/server/dist/src/main.js', import.meta.url).pathname;

/** The soft and hard open-file limits of this process (from /proc/self/limits). */
export function fileLimit() {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(
    readFileSync('/proc/self/limits', 'utf8'),
  );
  const n = (s) => (s === 'unlimited' ? Infinity : Number(s));
  return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: 1024, hard: 1024 };
}

/**
 * The command that runs `argv` with at least `nofile` open files: through `sh -c "ulimit -n"`
 * when the soft limit is lower (a child may raise its soft limit up to the hard one). Throws
 * with a clear message when the hard limit is too low.
 */
export function withFileLimit(argv, nofile) {
  const { soft, hard } = fileLimit();
  if (!nofile || soft >= nofile) return argv;
  if (hard < nofile)
    throw new Error(
      `needs ${nofile} open files but the hard limit is ${hard}: raise it (ulimit -Hn, or LimitNOFILE)`,
    );
  return ['/bin/sh', '-c', `ulimit -n ${nofile} && exec "$0" "$@"`, ...argv];
}

/** CPU seconds a process used so far, user + system, all threads (from /proc/PID/stat). */
export function cpuSecondsOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU seconds of the PostgreSQL backends connected to database `name` (from /proc). */
function backendCpuSeconds(name) {
  let sum = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres: ') && cmd.includes(` ${name} `)) sum += cpuSecondsOf(p);
    } catch {
      // the process ended meanwhile
    }
  }
  return sum;
}

/** Busy CPU seconds of the whole machine so far, all CPUs (from /proc/stat). */
function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return (user + nice + system + irq + softirq + (steal || 0)) / 100;
}

/**
 * Starts watching the CPU: `stop()` returns the average number of CPUs kept busy by other
 * processes than this one and `pids` since the start (call it while they still run).
 */
export function cpuWatch(pids) {
  const t0 = performance.now();
  const m0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const p0 = new Map(pids.map((p) => [p, cpuSecondsOf(p)]));
  return {
    stop() {
      const own = process.cpuUsage(own0);
      const ours =
        [...p0].reduce((sum, [p, c]) => sum + (cpuSecondsOf(p) - c), 0) +
        (own.user + own.system) / 1e6;
      const secs = (performance.now() - t0) / 1000;
      return Math.max(0, (machineBusySeconds() - m0 - ours) / secs);
    },
  };
}

/** Environment variables from `K=V K2=V2` (a probe's command-line setting), or {}. */
export function envFrom(spec = '') {
  return Object.fromEntries(
    spec
      .split(' ')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/** Fresh storage: a temporary data dir, plus a new PostgreSQL database for 'postgres'. */
export function newStorage(kind) {
  return new Storage(kind);
}

/**
 * Spawns a server on `storage` (several servers may use the same storage one after the
 * other). `args` are extra options; `nofile` raises the open-file limit of the process;
 * `nodeArgs` go to node itself (e.g. `--cpu-prof` to profile the server); `main` runs another
 * build of the server (another worktree's packages/server/dist/src/main.js).
 */
export async function startServer(
  storage,
  { args = [], env = {}, nofile, nodeArgs = [], main = MAIN } = {},
) {
  const dbEnv = await storage.env();
  const db = dbEnv.DATABASE_URL ? ['--database-url', dbEnv.DATABASE_URL] : [];
  const argv = withFileLimit(
    [
      process.execPath,
      ...nodeArgs,
      main,
      '--port',
      '0',
      '--data-dir',
      storage.dataDir,
      ...db,
      '--log-level',
      'warn',
      '--rate-limit',
      '1000000',
      ...args,
    ],
    nofile,
  );
  const proc = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, HUSH_HOST: '', HUSH_PORT: '', DATABASE_URL: '', NATS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = [];
  let stdout = '';
  proc.stderr.on('data', (d) => stderr.push(d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    proc.stdout.on('data', (d) => {
      stdout += d.toString();
      const m = /listening on (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr.join('')}`));
    });
  });
  // Through `sh -c ... exec`, the shell's pid becomes the server's.
  const pid = proc.pid;
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: Number(u.port),
    pid,
    stderr,
    /** Resident memory in MiB (VmRSS). */
    rssMiB() {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    /** CPU seconds used so far, user + system, all threads. */
    cpuSeconds() {
      return cpuSecondsOf(pid);
    },
    /**
     * PostgreSQL: CPU seconds used so far by the backends serving this run's database (its
     * connections: count only while they stay open); SQLite: 0, the database runs inside
     * the server.
     */
    databaseCpuSeconds() {
      return storage.kind === 'postgres' ? backendCpuSeconds(storage.dbName) : 0;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}
