/**
 * `hush secrets run` end to end: the real binary starting real child processes. Exit codes
 * and signals pass through (both ways), output is masked (a value split across two writes,
 * a value on stderr), `--no-mask` gives the values back, and nothing is written to disk:
 * the home and the working directory are byte-for-byte the same afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { HUSH, hush, tempDir } from './helpers.js';
import { fails, ok, teamOnRelay } from './team-fixture.js';

const SECRETS = {
  TOKEN: 's3cr3t-token-value',
  SPLIT: 'split-across-two-writes',
  MULTI: 'first-line\nsecond-line',
  SHORT: 'abc',
};

/** A node one-liner as a command. */
const node = (code: string) => [process.execPath, '-e', code];

/** Every file under `dir` with its size, mode and SHA-256, for before/after comparison. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else
        out.push(
          `${p} ${s.size} ${s.mode.toString(8)} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`,
        );
    }
  };
  walk(dir);
  return out;
}

/** Starts `hush ARGS` and resolves with its exit code or signal, and both outputs. */
function start(home: string, args: string[], cwd: string) {
  const child = spawn(process.execPath, [HUSH, ...args], {
    cwd,
    env: { ...process.env, HUSH_HOME: home, HUSH_SERVER: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    done,
    out: () => stdout,
    err: () => stderr,
    async waitFor(text: string) {
      const deadline = Date.now() + 20_000;
      while (!stdout.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no "${text}" in ${JSON.stringify(stdout)} / ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('hush secrets run', () => {
  const cwd = tempDir('run-cwd');
  const t = teamOnRelay('sqlite', [cwd]);
  const run = (args: string[], env: Record<string, string> = {}) =>
    hush(t.bob, ['secrets', 'run', ...args], { cwd, env });

  before(async () => {
    ok(
      await hush(
        t.alice,
        ['secrets', 'set', ...Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`)],
        {},
      ),
      'set',
    );
    ok(await hush(t.bob, ['secrets', 'list']), 'bob syncs');
  });

  it('passes the exit code through', async () => {
    assert.equal((await run(['--', ...node('process.exit(42)')])).code, 42);
    assert.equal((await run(['--', ...node('')])).code, 0);
    fails(
      await run(['--', 'no-such-command-hush-test']),
      6,
      /cannot run "no-such-command-hush-test"/,
      'enoent',
    );
  });

  it('gives the command the secrets, over inherited variables, but not HUSH_PASSPHRASE', async () => {
    const r = await run(
      [
        '--no-mask',
        '--',
        ...node(
          'console.log(JSON.stringify([process.env.TOKEN, process.env.MULTI, process.env.KEEP, process.env.HUSH_PASSPHRASE]))',
        ),
      ],
      { TOKEN: 'inherited', KEEP: 'kept', HUSH_PASSPHRASE: 'pp' },
    );
    // bob's identity is not passphrase-wrapped, so HUSH_PASSPHRASE is ignored by hush itself.
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [SECRETS.TOKEN, SECRETS.MULTI, 'kept', null]);
  });

  it('masks values in stdout and stderr, also a value split across two writes', async () => {
    const code = `
      const w = (s, t) => new Promise((r) => s.write(t, r));
      (async () => {
        await w(process.stdout, 'token=' + process.env.TOKEN + ' short=' + process.env.SHORT + '\\n');
        const v = process.env.SPLIT;
        await w(process.stdout, 'split=' + v.slice(0, 9));
        await new Promise((r) => setTimeout(r, 150));
        await w(process.stdout, v.slice(9) + ' end\\n');
        await w(process.stderr, 'err: ' + process.env.MULTI + '\\n');
      })();`;
    const r = await run(['--', ...node(code)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'token=***** short=abc\nsplit=***** end\n');
    assert.equal(r.stderr, 'err: *****\n');
    for (const v of [SECRETS.TOKEN, SECRETS.SPLIT, SECRETS.MULTI, 'split-acr', 'first-line'])
      assert.ok(!r.stdout.includes(v) && !r.stderr.includes(v), `"${v}" shows`);
  });

  it('--no-mask gives the command the output streams directly', async () => {
    const r = await run([
      '--no-mask',
      '--',
      ...node('console.log(process.env.TOKEN); console.error(process.env.SPLIT)'),
    ]);
    assert.equal(r.stdout, `${SECRETS.TOKEN}\n`);
    assert.equal(r.stderr, `${SECRETS.SPLIT}\n`);
  });

  it('writes nothing to disk: the home and the working directory are unchanged', async () => {
    const before = [...snapshot(t.bob), ...snapshot(cwd)];
    assert.ok(
      before.some((l) => l.includes('state.json')),
      'the snapshot sees the home',
    );
    const r = await run(['--', ...node('console.log(Object.keys(process.env).includes("TOKEN"))')]);
    assert.equal(r.stdout, 'true\n', r.stderr);
    assert.deepEqual([...snapshot(t.bob), ...snapshot(cwd)], before);
  });

  it('a relay that does not answer: exit 4 with one line, and the command never starts', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await run(['--', ...node('console.log("started")')], {
      HUSH_SERVER: `http://127.0.0.1:${port}`,
    });
    fails(r, 4, /relay 127\.0\.0\.1:\d+ is unreachable/, 'dead relay');
    assert.equal(r.stdout, '', 'the command did not run');
  });

  it('a command killed by a signal makes hush die of the same signal', async () => {
    const p = start(
      t.bob,
      ['secrets', 'run', '--', ...node('process.kill(process.pid, "SIGTERM")')],
      cwd,
    );
    assert.deepEqual(await p.done, { code: null, signal: 'SIGTERM' });
  });

  it('SIGTERM and SIGINT sent to hush reach the command, whose exit code comes back', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const code = `process.on('${sig}', () => { console.log('got ${sig}'); process.exit(7); });
        console.log('ready'); setInterval(() => {}, 1000);`;
      const p = start(t.bob, ['secrets', 'run', '--', ...node(code)], cwd);
      await p.waitFor('ready');
      p.child.kill(sig);
      assert.deepEqual(await p.done, { code: 7, signal: null }, p.err());
      assert.equal(p.out(), `ready\ngot ${sig}\n`);
    }
  });
});
