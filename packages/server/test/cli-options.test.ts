/**
 * The `hush-server` command line: `--help` lists every option with its environment
 * variable, mistakes exit 2 with one line, the environment is honoured, the start line names
 * the URL, the default data dir is under XDG_DATA_HOME, TLS serves HTTPS, and a plain-HTTP
 * non-loopback bind warns that a TLS-terminating proxy is required.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OPTIONS } from '../src/config.js';
import { postgresAvailable, spawnServer, Storage } from './harness.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;
const PG = await postgresAvailable();

/** The environment with every hush variable cleared, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const hush = new Set<string>(Object.values(OPTIONS).map((o) => o.env));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !hush.has(k)));
  return { ...env, ...extra };
}

/** Runs the binary to completion (for --help and the mistakes that exit at once). */
function runToExit(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the binary, waits for its start line, then stops it with SIGTERM. */
async function startAndStop(args: string[], env: Record<string, string>) {
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line: ${stderr}`)), 20_000);
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^hush-server listening on .*$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const url = /listening on (\S+)/.exec(line)?.[1] as string;
  const health = await fetch(`${url}/healthz`).then((r) => r.status);
  proc.kill('SIGTERM');
  return { line, url, health, code: await exited, stderr };
}

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('hush-server command line', () => {
  const temps: string[] = [];
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), 'hush-cli-'));
    temps.push(d);
    return d;
  };
  after(() => {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  it('--help lists every option and its environment variable', () => {
    const r = runToExit(['--help']);
    assert.equal(r.code, 0);
    for (const o of Object.values(OPTIONS)) {
      const line = r.stdout.split('\n').findIndex((l) => l.trimStart().startsWith(`${o.flag} `));
      assert.ok(line >= 0, `${o.flag} is not listed`);
      assert.match(r.stdout.split('\n')[line + 1] ?? '', new RegExp(`env: ${o.env}$`));
    }
    assert.match(r.stdout, /--help/);
  });

  it('exits 2 with one line on stderr for every configuration mistake', () => {
    const mistakes: [string[], Record<string, string>][] = [
      [['--bogus'], {}],
      [['--port', 'abc'], {}],
      [['--port', '-1'], {}],
      [['--port', '1.5'], {}],
      [['--port'], {}],
      [[], { HUSH_PORT: 'eighty' }],
      [['--database-url', 'mysql://root@127.0.0.1/hush'], {}],
      [[], { DATABASE_URL: 'sqlite:///tmp/hush.db' }],
      [['--tls-cert', '/tmp/cert.pem'], {}],
      [['--registration', 'closed'], {}],
      [['--port', '70000'], {}],
      [['--log-level', 'loud'], {}],
    ];
    for (const [args, env] of mistakes) {
      const r = runToExit(args, env);
      const what = `${args.join(' ')} ${JSON.stringify(env)}`;
      assert.equal(r.code, 2, what);
      assert.equal(r.stdout, '', what);
      assert.match(r.stderr, /^hush-server: [^\n]+\n$/, what);
    }
  });

  it('honours HUSH_PORT, HUSH_HOST and HUSH_DATA_DIR, and prints the URL on start', async () => {
    const port = await freePort();
    const dir = temp();
    const r = await startAndStop([], {
      HUSH_PORT: String(port),
      HUSH_HOST: '127.0.0.2',
      HUSH_DATA_DIR: dir,
      HUSH_LOG_LEVEL: 'warn',
    });
    assert.equal(r.line, `hush-server listening on http://127.0.0.2:${port} (SQLite in ${dir})`);
    assert.equal(r.health, 200);
    assert.equal(r.code, 0);
    assert.ok(existsSync(join(dir, 'hush.db')));
    // A loopback address needs no proxy: no warning.
    assert.doesNotMatch(r.stderr, /warning/);
  });

  it('lets a flag override its environment variable', async () => {
    const r = await startAndStop(['--port', '0', '--data-dir', temp(), '--log-level', 'warn'], {
      HUSH_PORT: '1',
    });
    assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(r.url).port, '1');
    assert.equal(r.health, 200);
  });

  it('puts the default data dir under XDG_DATA_HOME', async () => {
    const xdg = temp();
    const r = await startAndStop(['--port', '0', '--log-level', 'warn'], {
      XDG_DATA_HOME: xdg,
      HOME: temp(),
    });
    assert.equal(r.health, 200);
    assert.ok(r.line.endsWith(`(SQLite in ${join(xdg, 'hush')})`), r.line);
    assert.ok(existsSync(join(xdg, 'hush', 'hush.db')));
  });

  it('honours DATABASE_URL (PostgreSQL)', { skip: !PG }, async () => {
    const storage = new Storage('postgres');
    try {
      const { DATABASE_URL } = (await storage.env()) as { DATABASE_URL: string };
      const r = await startAndStop(['--port', '0', '--data-dir', storage.dataDir], {
        DATABASE_URL,
        HUSH_LOG_LEVEL: 'warn',
      });
      assert.match(r.line, /^hush-server listening on http:\/\/127\.0\.0\.1:\d+ \(PostgreSQL\)$/);
      assert.equal(r.health, 200);
    } finally {
      await storage.destroy();
    }
  });

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const dir = temp();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const storage = new Storage('sqlite');
    const server = await spawnServer(storage, ['--tls-cert', cert, '--tls-key', key]);
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        httpsGet(`${server.url}/healthz`, { ca: readFileSync(cert) }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        }).on('error', reject);
      });
      assert.equal(body, '200 {"status":"ok"}');
      // Plain HTTP on the TLS port gets no answer from the API.
      const plain = await fetch(server.url.replace('https:', 'http:') + '/healthz').then(
        (r) => r.status,
        () => 0,
      );
      assert.notEqual(plain, 200);
      assert.equal(await server.stop(), 0);
    } finally {
      await server.stop();
      await storage.destroy();
    }
  });

  it('warns that a TLS-terminating proxy is required for plain HTTP on a non-loopback host', async () => {
    const storage = new Storage('sqlite');
    const server = await spawnServer(storage, ['--host', '0.0.0.0']);
    try {
      assert.match(server.stderr.join(''), /warning: .*TLS-terminating proxy/);
      const port = new URL(server.url).port;
      // Bound to every interface; traffic stays on loopback.
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      await server.stop();
      await storage.destroy();
    }
  });
});
