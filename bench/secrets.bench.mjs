// `hush secrets run -- true` as a user feels it, next to `dotenvx run -- true` on a plain
// .env file with the same 50 variables: both are fresh Node processes that load their
// variables and start `true`. hush signs in, syncs and verifies the team chain and objects
// against a local relay (SQLite) and decrypts 50 envelopes; dotenvx reads one file.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Hush } from '../packages/client/dist/src/index.js';
import { spawnServer, Storage } from '../packages/server/dist/test/harness.js';

const HUSH = new URL('../packages/cli/dist/src/main.js', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const DOTENVX = join(
  dirname(require.resolve('@dotenvx/dotenvx/package.json')),
  'src',
  'cli',
  'dotenvx.js',
);
const DOTENVX_VERSION = require('@dotenvx/dotenvx/package.json').version;
const VARS = 50;
const RUNS = 25;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time of one child process run to completion, in ms. */
function wall(args, opts) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** A relay, an owner whose team holds VARS secrets, and the same variables in a .env file. */
async function fixture(dir) {
  const storage = new Storage('sqlite');
  const server = await spawnServer(storage);
  const home = join(dir, 'home');
  const alice = await Hush.init({ home, server: server.url, name: 'alice' });
  await alice.teams.create('bench');
  const vars = {};
  for (let i = 0; i < VARS; i++) vars[`VAR_${i}`] = `value-${i}-${'x'.repeat(24)}`;
  const dotenv = Object.entries(vars)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
  writeFileSync(join(dir, '.env'), dotenv);
  await alice.secrets.push(dotenv);
  await alice.secrets.list(); // the home has synced what it wrote, as after any command
  // A copy of the home without the saved access token: as a run more than 15 minutes after
  // the last command (or in a fresh CI job), it signs in; being read-only, it stays so.
  const cold = join(dir, 'home-cold');
  cpSync(home, cold, { recursive: true });
  const state = JSON.parse(readFileSync(join(cold, 'state.json'), 'utf8'));
  if (!state.accessToken) throw new Error('the fixture home saved no access token');
  delete state.accessToken;
  writeFileSync(join(cold, 'state.json'), JSON.stringify(state), { mode: 0o600 });
  return {
    home,
    cold,
    url: server.url,
    async stop() {
      await server.stop();
      await storage.destroy();
    },
  };
}

/** Runs the secrets benchmark. */
export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-secrets-'));
  const fx = await fixture(dir);
  try {
    const env = (home) => ({ cwd: dir, env: { ...process.env, HUSH_HOME: home, HUSH_SERVER: '' } });
    const runs = {
      warm: [[HUSH, 'secrets', 'run', '--', 'true'], env(fx.home)],
      cold: [[HUSH, 'secrets', 'run', '--', 'true'], env(fx.cold)],
      dotenvx: [[DOTENVX, 'run', '-q', '-f', join(dir, '.env'), '--', 'true'], env(fx.home)],
      floor: [['-e', '0'], env(fx.home)],
    };
    const times = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
    for (const [args, opts] of Object.values(runs)) wall(args, opts); // warm the page cache
    // Interleaved, rotating which goes first, so background load hits all alike.
    const order = Object.keys(runs);
    for (let i = 0; i < RUNS; i++)
      for (let j = 0; j < order.length; j++) {
        const k = order[(i + j) % order.length];
        times[k].push(wall(...runs[k]));
      }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const range = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms`;
    const peerName = `\`dotenvx run -- true\`, @dotenvx/dotenvx ${DOTENVX_VERSION}, plain .env`;
    const verdict = (ms) => `target (hush faster): ${ms < m.dotenvx ? 'met' : 'NOT met'}`;
    return {
      title: 'Secrets: running a command with 50 variables',
      rows: [
        {
          metric: `\`hush secrets run -- true\`, ${VARS} secrets, access token saved by the last command (median of ${RUNS})`,
          unit: 'ms',
          hush: m.warm,
          peer: m.dotenvx,
          peerName,
          note: `${verdict(m.warm)}; ranges: hush ${range(times.warm)}, dotenvx ${range(times.dotenvx)}`,
        },
        {
          metric: `\`hush secrets run -- true\`, ${VARS} secrets, signing in first (median of ${RUNS})`,
          unit: 'ms',
          hush: m.cold,
          peer: m.dotenvx,
          peerName,
          note: `${verdict(m.cold)}; range: hush ${range(times.cold)}; a challenge sign-in (two more requests) as when the last command is over 15 minutes old`,
        },
      ],
      notes: [
        `The floor of any Node CLI, \`node -e 0\`, measured in the same loop: ${m.floor.toFixed(1)} ms (median), on ${cpus()[0]?.model ?? 'an unknown CPU'} with ${cpus().length} cores shared with other work: the load average below says how busy.`,
        'All are fresh processes of the same Node, stdout and stderr piped, run from the repository (hush: packages/cli/dist/src/main.js; dotenvx: its CLI script in node_modules), interleaved with the order rotating.',
        `hush: the home opened read-only (nothing written), one verified sync of the team (chain, member chains, objects since the saved cursor; nothing new here), the ${VARS} newest secret versions opened (signature, key commitment, AES-256-GCM, blind index), then \`true\` started with output masking. The relay is a separate process on the same machine (SQLite).`,
        `dotenvx: reads and parses the ${VARS}-line .env file (no encryption keys involved), then starts \`true\`.`,
      ],
    };
  } finally {
    await fx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
