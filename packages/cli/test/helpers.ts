/**
 * Runs the real `hush` binary as a child process, each person with their own HUSH_HOME, and
 * starts real relay processes through the server's compiled test harness.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as HarnessModule from '../../server/dist/test/harness.js';

/** The relay test harness (its compiled path, resolved from this compiled file). */
export const harness = (await import(
  new URL('../../../server/dist/test/harness.js', import.meta.url).href
)) as typeof HarnessModule;

/** The compiled CLI entry point. */
export const HUSH = new URL('../src/main.js', import.meta.url).pathname;

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for a child: no inherited hush settings, a fixed home. */
export function childEnv(
  home: string | undefined,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.HUSH_SERVER;
  delete env.HUSH_HOME;
  if (home !== undefined) env.HUSH_HOME = home;
  return { ...env, ...extra };
}

/**
 * Runs `hush ARGS` with stdin from `input` (stdin is a pipe, never a terminal, so hush must
 * never prompt) and resolves with the exit code and both outputs.
 */
export function hush(
  home: string | undefined,
  args: readonly string[],
  opts: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [HUSH, ...args],
      { env: childEnv(home, opts.env ?? {}), cwd: opts.cwd ?? tmpdir(), timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number' && err.code !== undefined) return reject(err);
        resolve({ code: err ? ((err.code as number | undefined) ?? null) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

/** A temporary directory, removed by `cleanup`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hush-cli-${prefix}-`));
}

/** Removes temporary directories. */
export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Starts `hush server ARGS` and waits for its "listening on URL" line. */
export async function spawnHushServer(
  args: readonly string[],
): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const proc = spawn(process.execPath, [HUSH, 'server', ...args], {
    env: childEnv(undefined, { HUSH_HOST: '', HUSH_PORT: '', DATABASE_URL: '', NATS_URL: '' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hush server did not start: ${err}`)), 20_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then((c) => {
      clearTimeout(timer);
      reject(new Error(`hush server exited with ${c}: ${err}`));
    });
  });
  return {
    url,
    stop: async () => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Asserts a failure printed exactly one line on stderr and nothing on stdout. */
export function oneLine(r: Result): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || r.stdout !== '') {
    throw new Error(
      `expected one stderr line and no stdout, got stdout=${JSON.stringify(r.stdout)} stderr=${JSON.stringify(r.stderr)}`,
    );
  }
  return lines[0] as string;
}

/** A long-running `hush` (e.g. watch) whose stdout lines can be awaited. */
export function watchProcess(
  home: string,
  args: readonly string[],
): {
  waitFor: (match: (line: string) => boolean) => Promise<string>;
  stop: () => Promise<number | null>;
} {
  const proc = spawn(process.execPath, [HUSH, ...args], {
    env: childEnv(home, {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  return {
    async waitFor(match) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline || proc.exitCode !== null) {
          throw new Error(`no matching line; stdout=${JSON.stringify(lines)} stderr=${err}`);
        }
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGINT');
      return exited;
    },
  };
}
