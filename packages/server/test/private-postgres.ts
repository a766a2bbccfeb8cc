/**
 * A private PostgreSQL cluster for fault tests: initdb into a temp dir, a free loopback
 * port, trust auth, its own socket dir. Tests stop and start this one, never the machine's
 * shared server on 5432 that other suites use at the same time.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to
 * the `postgres` system user and every server binary runs through `runuser -u postgres`.
 * Binaries are taken from HUSH_TEST_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, Storage } from './harness.js';

const run = promisify(execFile);

/** The directory holding initdb and pg_ctl, or undefined. */
function binDir(): string | undefined {
  if (process.env.HUSH_TEST_PG_BIN) return process.env.HUSH_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, c) => Number(c) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** uid and gid of the system user `postgres` (from /etc/passwd), when it exists. */
function postgresUser(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

/**
 * Why a private cluster cannot be made here, or undefined when it can. Under CI=true the
 * caller must treat a reason as a failure, not a skip.
 */
export function privatePostgresMissing(): string | undefined {
  const bin = binDir();
  if (!bin) return 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql';
  if (userInfo().uid === 0 && !postgresUser())
    return 'running as root and there is no "postgres" user to own the cluster';
  return undefined;
}

/** One running private cluster. */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: boolean,
  ) {}

  /** Creates and starts a fresh cluster (a few seconds). */
  static async create(): Promise<PrivatePostgres> {
    const missing = privatePostgresMissing();
    if (missing) throw new Error(`cannot start a private PostgreSQL: ${missing}`);
    const dir = mkdtempSync(join(tmpdir(), 'hush-pg-'));
    const owner = userInfo().uid === 0 ? postgresUser() : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const c = new PrivatePostgres(dir, await freePort(), binDir() as string, owner !== undefined);
    await c.#pg('initdb', [
      '-D',
      c.data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await c.start();
    return c;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  async #pg(tool: string, args: string[]): Promise<void> {
    const cmd = join(this.bin, tool);
    try {
      if (this.asUser) await run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
      else await run(cmd, args);
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${tool} failed: ${err.stderr || err.message}`);
    }
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=16MB`;
    await this.#pg('pg_ctl', [
      '-D',
      this.data,
      '-l',
      join(this.dir, 'log'),
      '-o',
      opts,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /**
   * Stops the server. `immediate` is a crash as far as clients can tell: every backend is
   * killed without a checkpoint and the next start replays the WAL.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.#pg('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** A connection URL for `database`. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A harness Storage (data dir for blobs, a fresh database here) for spawnServer and DbPeek. */
  async storage(): Promise<Storage> {
    const s = new PrivateStorage(this);
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${s.dbName}`);
    } finally {
      await c.end();
    }
    return s;
  }

  /** Stops the cluster (if it runs) and removes its files. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Storage whose database lives in a private cluster (dropped with the cluster). */
class PrivateStorage extends Storage {
  constructor(private readonly cluster: PrivatePostgres) {
    super('postgres');
  }

  override env(): Promise<Record<string, string>> {
    return Promise.resolve({ DATABASE_URL: this.cluster.url(this.dbName) });
  }

  override destroy(): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
    return Promise.resolve();
  }
}
