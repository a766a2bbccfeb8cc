#!/usr/bin/env node
// `npm run demo`: a scripted tour of hush. Starts a relay on a throwaway SQLite data dir,
// gives alice, bob and an agent their own homes, and runs the real `hush` binary step by
// step. After each step it prints, side by side, what the member saw and what the relay
// stored (read straight from its SQLite file, read-only), and checks that no plaintext of
// the tour appears anywhere in the relay's files. Everything is removed at the end (and on
// Ctrl-C).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const root = new URL('..', import.meta.url).pathname;
const HUSH = join(root, 'packages/cli/dist/src/main.js');
if (!existsSync(HUSH)) {
  console.error('demo: the CLI is not built: run `npm run build` first (or `npm run demo`)');
  process.exit(2);
}

const tty = process.stdout.isTTY === true;
// Not a terminal (a log, a pipe): wide enough that the CLI's 120-column tables fit.
const WIDTH = Math.max(
  60,
  tty ? (process.stdout.columns ?? 120) : Number(process.env.COLUMNS) || 190,
);
const SIDE_BY_SIDE = WIDTH >= 110;
/** The relay's rows are short: the member's output gets the rest of the width. */
const RIGHT = Math.min(62, Math.floor((WIDTH - 3) / 2));
const LEFT = WIDTH - 3 - RIGHT;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

// ---------------------------------------------------------------------------------------
// Temp homes, the relay process, cleanup

const base = mkdtempSync(join(tmpdir(), 'hush-demo-'));
const dataDir = join(base, 'relay');
const homes = { alice: join(base, 'alice'), bob: join(base, 'bob') };
const agentDir = join(base, 'reviewer-repo');
const srcDir = join(base, 'alice-src');
for (const d of [dataDir, agentDir, srcDir, ...Object.values(homes)]) mkdirSync(d);

let relay;
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (relay && relay.exitCode === null && relay.signalCode === null) relay.kill('SIGTERM');
  rmSync(base, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  console.error('\ndemo: interrupted; the relay is stopped and the temp dirs are removed');
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});
process.on('exit', cleanup);

/** The environment without any hush setting of the caller's, plus `extra`. */
function childEnv(extra = {}) {
  const drop = new Set(['HUSH_SERVER', 'HUSH_HOME', 'HUSH_HOST', 'HUSH_PORT', 'HUSH_PASSPHRASE']);
  for (const k of ['DATABASE_URL', 'NATS_URL']) drop.add(k);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.has(k)));
  return { ...env, ...extra };
}

async function startRelay() {
  relay = spawn(
    process.execPath,
    [HUSH, 'server', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  relay.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the relay did not start: ${err}`)), 20_000);
    relay.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], line: out.trim().split('\n')[0] });
      }
    });
    relay.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with ${code}: ${err}`));
    });
  });
}

/** Runs `hush ARGS` as `who` (a home, or the agent's folder as cwd). */
function hush(who, args, { input = '', ok = true } = {}) {
  const env = who === 'agent' ? childEnv() : childEnv({ HUSH_HOME: homes[who] });
  const cwd = who === 'agent' ? agentDir : base;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [HUSH, ...args],
      { env, cwd, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (ok && code !== 0)
          return reject(new Error(`hush ${args.join(' ')} (${who}) exited ${code}: ${stderr}`));
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin.end(input);
  });
}

// ---------------------------------------------------------------------------------------
// What the relay stored

let db;
function openDb() {
  db ??= new Database(join(dataDir, 'hush.db'), { readonly: true, fileMustExist: true });
  return db;
}

const short = (s, n = 10) => (s.length > n ? `${s.slice(0, n)}…` : s);
const b64 = (buf, n = 16) => short(Buffer.from(buf).toString('base64url'), n);
const size = (n) => `${n.toLocaleString('en-US')} B`;
const ROLE = { 1: 'owner', 2: 'admin', 3: 'writer', 4: 'reader', 5: 'agent' };

/** Per table: the query, a row's identity, and how a row is shown. */
const TABLES = {
  principals: {
    sql: 'SELECT id, kind, head_seq FROM principals ORDER BY created_at',
    key: (r) => r.id,
    show: (r) => `${short(r.id)}  ${r.kind === 2 ? 'agent' : 'human'}  head ${r.head_seq}`,
  },
  principal_links: {
    sql: 'SELECT principal_id, seq, link FROM principal_links ORDER BY rowid',
    key: (r) => `${r.principal_id}/${r.seq}`,
    show: (r) => `${short(r.principal_id, 8)} #${r.seq}  ${size(r.link.length)}  ${b64(r.link)}`,
  },
  devices: {
    sql: 'SELECT id, principal_id, sig_pk, revoked_at FROM devices ORDER BY rowid',
    key: (r) => r.id,
    show: (r) => `${short(r.id, 8)} of ${short(r.principal_id, 8)}  sig pk ${b64(r.sig_pk, 12)}`,
  },
  tokens: {
    sql: 'SELECT hash, kind, device_id FROM tokens ORDER BY rowid',
    key: (r) => r.hash,
    show: (r) => `${r.kind.padEnd(7)} sha256 ${short(r.hash, 12)}  dev ${short(r.device_id, 8)}`,
  },
  teams: {
    sql: 'SELECT id, head_seq, object_seq, bytes_used FROM teams ORDER BY created_at',
    key: (r) => r.id,
    show: (r) =>
      `${short(r.id)}  chain head ${r.head_seq}  objects ${r.object_seq}  ${size(r.bytes_used)}`,
  },
  team_links: {
    sql: 'SELECT team_id, seq, link FROM team_links ORDER BY rowid',
    key: (r) => `${r.team_id}/${r.seq}`,
    show: (r) => `${short(r.team_id, 8)} #${r.seq}  ${size(r.link.length)}  ${b64(r.link)}`,
  },
  team_members: {
    sql: 'SELECT team_id, principal_id, role FROM team_members ORDER BY rowid',
    key: (r) => `${r.team_id}/${r.principal_id}`,
    show: (r) =>
      `${short(r.team_id, 8)}  ${short(r.principal_id)}  ${ROLE[r.role] ?? `role ${r.role}`}`,
  },
  key_boxes: {
    sql: 'SELECT team_id, generation, recipient_id, box FROM key_boxes ORDER BY rowid',
    key: (r) => `${r.team_id}/${r.generation}/${r.recipient_id}`,
    show: (r) =>
      `gen ${r.generation} → ${short(r.recipient_id, 8)}  ${size(r.box.length)}  ${b64(r.box, 12)}`,
  },
  objects: {
    sql: 'SELECT team_id, seq, object_id, collection, size, envelope FROM objects ORDER BY rowid',
    key: (r) => `${r.team_id}/${r.seq}`,
    show: (r) =>
      `#${r.seq} ${short(r.object_id, 8)}  coll ${r.collection}  ${size(r.size)}  ${b64(r.envelope)}`,
  },
  direct_objects: {
    sql: 'SELECT object_id, sender, envelope FROM direct_objects ORDER BY rowid',
    key: (r) => r.object_id,
    show: (r) =>
      `${short(r.object_id, 8)} from ${short(r.sender, 8)}  ${size(r.envelope.length)}  ${b64(r.envelope)}`,
  },
  inbox: {
    sql: 'SELECT principal_id, seq, object_id FROM inbox ORDER BY rowid',
    key: (r) => `${r.principal_id}/${r.seq}`,
    show: (r) => `for ${short(r.principal_id, 8)} #${r.seq}  object ${short(r.object_id, 8)}`,
  },
};

/** Rows already shown, per table: key → shown text (so a changed row shows again). */
const seen = new Map();

/** The new or changed rows of `names` since the last look, as lines. */
function stored(names) {
  const lines = [];
  for (const name of names) {
    const t = TABLES[name];
    const rows = openDb().prepare(t.sql).all();
    const before = seen.get(name) ?? new Map();
    const changed = [];
    for (const r of rows) {
      const text = t.show(r);
      const k = t.key(r);
      if (before.get(k) !== text) changed.push(`${before.has(k) ? '~' : '+'} ${text}`);
      before.set(k, text);
    }
    seen.set(name, before);
    lines.push(`${name} (${rows.length} row${rows.length === 1 ? '' : 's'})`);
    const max = 6;
    lines.push(...changed.slice(0, max).map((l) => `  ${l}`));
    if (changed.length > max) lines.push(`  … ${changed.length - max} more new rows`);
    if (changed.length === 0) lines.push('  (unchanged)');
  }
  return lines;
}

/** Every plaintext the tour used so far; none may appear in the relay's files. */
const secrets = new Set();
function plaintextCheck() {
  const files = ['hush.db', 'hush.db-wal'].map((f) => join(dataDir, f)).filter(existsSync);
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  const found = [...secrets].filter((s) => bytes.includes(Buffer.from(s, 'utf8')));
  return found.length === 0
    ? `✓ none of ${secrets.size} plaintexts in the relay's files (${size(bytes.length)})`
    : `✗ PLAINTEXT FOUND in the relay's files: ${found.join(', ')}`;
}

// ---------------------------------------------------------------------------------------
// Two columns

/** Wraps a line to `w` characters, continuation lines indented (member output is never cut). */
function wrap(line, w) {
  const chars = [...line];
  if (chars.length <= w) return [line];
  const out = [chars.slice(0, w).join('')];
  for (let i = w; i < chars.length; i += w - 6)
    out.push(`      ${chars.slice(i, i + w - 6).join('')}`);
  return out;
}

const cut = (line, w) => ([...line].length > w ? `${[...line].slice(0, w - 1).join('')}…` : line);

function columns(left, right) {
  if (!SIDE_BY_SIDE) {
    console.log(dim('  what the member sees'));
    for (const l of left) for (const p of wrap(l, WIDTH - 4)) console.log(`    ${p}`);
    console.log(dim('  what the relay stored'));
    for (const r of right) console.log(`    ${cut(r, WIDTH - 4)}`);
    return;
  }
  const L = left.flatMap((l) => wrap(l, LEFT));
  const R = right.map((r) => cut(r, RIGHT));
  console.log(
    dim(`${'what the member sees'.padEnd(LEFT)} │ what the relay stored (SQLite, read-only)`),
  );
  for (let i = 0; i < Math.max(L.length, R.length); i++) {
    const l = L[i] ?? '';
    console.log(`${l}${' '.repeat(Math.max(0, LEFT - [...l].length))} │ ${R[i] ?? ''}`);
  }
}

let stepNo = 0;
const TOTAL = 14;

/**
 * One step: runs the commands, then shows their output next to the new rows of `tables`.
 * `cmds` is a list of [who, args, opts?], or functions of the results so far returning one
 * (or false to skip it); returns the results.
 */
async function step(title, cmds, tables) {
  stepNo++;
  console.log('');
  console.log(bold(`[${stepNo}/${TOTAL}] ${title}`));
  const left = [];
  const results = [];
  for (const c of cmds) {
    const next = typeof c === 'function' ? c(results) : c;
    if (!next) continue;
    const [who, args, opts] = next;
    const r = await hush(who, args, opts);
    results.push(r);
    const shown = args.map((a) => (a.length > 40 ? `${a.slice(0, 24)}…` : a));
    const prompt = who === 'agent' ? 'agent@reviewer-repo' : who;
    left.push(`${prompt}$ hush ${shown.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`);
    for (const l of r.stdout.trimEnd().split('\n')) if (l !== '') left.push(`  ${l}`);
    for (const l of r.stderr.trimEnd().split('\n')) if (l !== '') left.push(`  ${l}`);
  }
  const right = [...stored(tables), '', plaintextCheck()];
  columns(left, right);
  return results;
}

// ---------------------------------------------------------------------------------------
// The tour

const started = Date.now();
try {
  const { url, line } = await startRelay();
  console.log(bold('hush demo: a relay, two people and an agent, all on this machine'));
  console.log(`relay: ${line}`);
  console.log(
    dim(
      'Left: the real `hush` CLI, each person with their own home. Right: rows the relay wrote, ' +
        'read from its SQLite file; "+" new, "~" changed.',
    ),
  );

  const TEAM = 'payments-api';
  const MSG1 = 'deploy of v2.3 is blocked on the flaky retry test';
  const MSG2 = 'on it: the backoff jitter is seeded from the clock';
  const DM = 'between us: the staging database password rotates friday';
  const AGENT_MSG = 'reviewed the retry loop: cap the backoff at 30 seconds';
  for (const s of [TEAM, 'alice', 'reviewer', 'release', MSG1, MSG2, DM, AGENT_MSG]) secrets.add(s);

  await step(
    'alice creates her identity (device keys stay in her home; the relay gets public keys)',
    [['alice', ['init', '--name', 'alice', '--server', url]]],
    ['principals', 'principal_links', 'devices', 'tokens'],
  );
  await step(
    'bob does the same on his machine',
    [['bob', ['init', '--name', 'bob', '--server', url]]],
    ['principals', 'devices'],
  );
  await step(
    `alice creates the team "${TEAM}" (its name is encrypted under the team key)`,
    [['alice', ['team', 'create', TEAM]]],
    ['teams', 'team_links', 'key_boxes', 'team_members'],
  );
  const [inv] = await step(
    'alice invites bob: the token goes to him out of band; the relay sees only its public half',
    [['alice', ['team', 'invite', TEAM, '--expires', '1h']]],
    ['team_links', 'key_boxes'],
  );
  const token = inv.stdout.trim();
  await step(
    'bob joins: the chain is verified against the team id inside the token',
    [
      ['bob', ['join', token]],
      ['bob', ['team', 'show', TEAM]],
    ],
    ['team_links', 'key_boxes', 'team_members'],
  );
  const [agent] = await step(
    'alice creates an agent for her code reviewer, in its own folder (.hush/)',
    [['alice', ['agent', 'create', 'reviewer', '--dir', 'reviewer-repo', '--json']]],
    ['principals', 'principal_links', 'devices'],
  );
  const agentId = JSON.parse(agent.stdout).principalId;
  await step(
    'alice adds the agent to the team with the agent role',
    [['alice', ['team', 'add', TEAM, agentId, '--role', 'agent']]],
    ['team_links', 'key_boxes', 'team_members'],
  );
  const [m1] = await step(
    'alice posts to the team',
    [['alice', ['send', TEAM, MSG1, '--topic', 'release', '--priority', 'urgent']]],
    ['objects', 'teams'],
  );
  await step(
    'bob reads the message and answers',
    [
      ['bob', ['read', m1.stdout.trim()]],
      ['bob', ['send', TEAM, MSG2, '--type', 'response', '--reply-to', m1.stdout.trim()]],
    ],
    ['objects'],
  );
  await step(
    'alice sends bob a direct message (sealed to his devices only)',
    [['alice', ['send', '@bob', DM]]],
    ['direct_objects', 'inbox'],
  );
  await step(
    "bob's inbox: every line was verified (signature, membership, key) before it was shown",
    [['bob', ['inbox']]],
    ['direct_objects', 'inbox'],
  );
  await step(
    'the agent, run inside its folder, reads the team conversation',
    [
      ['agent', ['whoami']],
      ['agent', ['inbox']],
    ],
    ['objects', 'inbox'],
  );
  await step(
    'the agent reports back',
    [['agent', ['send', TEAM, AGENT_MSG, '--type', 'notification']]],
    ['objects'],
  );

  // Snippets: shown when this build of the CLI has `hush share`.
  if ((await hush('alice', ['share', '--help'], { ok: false })).code === 0) {
    const CODE = 'export const maxBackoffMs = 30_000; // the cap the reviewer asked for\n';
    for (const s of ['maxBackoffMs = 30_000', 'alice-src/backoff.ts']) secrets.add(s);
    writeFileSync(join(srcDir, 'backoff.ts'), CODE);
    await step(
      'alice shares a snippet; the agent reads it',
      [
        ['alice', ['share', 'alice-src/backoff.ts', '--to', TEAM], { ok: false }],
        (prev) => prev[0].code === 0 && ['agent', ['snippets']],
        (prev) => prev[0].code === 0 && ['agent', ['snippet', prev[0].stdout.trim()]],
      ],
      ['objects'],
    );
  } else {
    console.log('');
    console.log(bold(`[${++stepNo}/${TOTAL}] snippets: skipped (this build has no hush share)`));
  }

  console.log('');
  console.log(
    bold(`done in ${((Date.now() - started) / 1000).toFixed(1)} s.`) +
      ' The relay held ids, sizes, public keys, hashed tokens and who is in which team;',
  );
  console.log(
    'every name, message and key it stored is ciphertext only the members can open. ' +
      'Next: README.md (quick start), docs/CLIENT.md.',
  );
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  db?.close();
  // Let the relay close its database before its data dir goes.
  if (relay && relay.exitCode === null && relay.signalCode === null) {
    const exited = new Promise((resolve) => relay.once('exit', resolve));
    relay.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  cleanup();
}
