/**
 * Starts the real `hush-server` process on a free port, against a fresh SQLite data dir or
 * a fresh PostgreSQL database (created per server, dropped at stop). Outside CI the
 * PostgreSQL suite skips with a loud message when no server answers; under CI=true it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type DbKind = 'sqlite' | 'postgres';
export const PG_ADMIN_URL =
  process.env.HUSH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MAIN = new URL('../src/main.js', import.meta.url).pathname;

let pgUp: boolean | undefined;
/** Whether PostgreSQL answers; under CI=true a missing server is an error, not a skip. */
export async function postgresAvailable(): Promise<boolean> {
  if (pgUp !== undefined) return pgUp;
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    pgUp = true;
  } catch (e) {
    if (process.env.CI === 'true')
      throw new Error(
        `PostgreSQL is required under CI=true but ${PG_ADMIN_URL} does not answer: ${(e as Error).message}`,
      );
    console.error(
      `\n!!! SKIPPING the PostgreSQL suite: ${PG_ADMIN_URL} does not answer (${(e as Error).message}) !!!\n`,
    );
    pgUp = false;
  }
  return pgUp;
}

/** The dialects to run a suite against (PostgreSQL only when available). */
export async function dialects(): Promise<DbKind[]> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A storage location that outlives server restarts (data dir and, for PostgreSQL, a database). */
export class Storage {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'hush-test-'));
  readonly dbName = `hush_t_${randomBytes(6).toString('hex')}`;
  #created = false;
  constructor(readonly kind: DbKind) {}

  async env(): Promise<Record<string, string>> {
    if (this.kind === 'sqlite') return {};
    if (!this.#created) {
      await adminQuery(`CREATE DATABASE ${this.dbName}`);
      this.#created = true;
    }
    return { DATABASE_URL: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${this.dbName}`) };
  }

  async destroy(): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
    if (this.#created) await adminQuery(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
  }
}

export interface ServerProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** A TCP port free on loopback right now (for a server that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Spawns `node dist/src/main.js --port 0` and waits for its "listening on URL" line. */
export async function spawnServer(
  storage: Storage,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const proc = spawn(
    process.execPath,
    [MAIN, '--port', '0', '--data-dir', storage.dataDir, '--log-level', 'warn', ...args],
    {
      env: {
        ...process.env,
        HUSH_HOST: '',
        HUSH_PORT: '',
        DATABASE_URL: '',
        NATS_URL: '',
        ...(await storage.env()),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  proc.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in 20 s: ${stderr.join('')}`)),
      20_000,
    );
    proc.stdout?.on('data', (d: Buffer) => {
      stdout.push(d.toString());
      const m = /listening on (\S+)/.exec(stdout.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr.join('')}`));
    });
  });
  return {
    url,
    proc,
    stdout,
    stderr,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
