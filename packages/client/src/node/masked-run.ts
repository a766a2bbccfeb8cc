/**
 * Runs a command with extra variables in its environment and captures its output through
 * the masking filter (mask.ts), bounded: a deadline after which its whole process group is
 * killed, and a cap on the bytes kept of each stream (the last ones, where errors and
 * summaries are). This is what the MCP server's `secret_run` uses, so its output can go in
 * front of a model: a value is masked before anything is kept, and the start of a value
 * left at the very end of a stream is masked too (`partialAtEnd: 'mask'`).
 *
 * The command gets no stdin (the MCP server's stdin carries JSON-RPC) and its own process
 * group, so a shell's children are killed with it: SIGTERM at the deadline (or on abort),
 * SIGKILL two seconds later; whatever is left of the group when the run ends is killed too.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { NotFoundError, UsageError } from '../errors.js';
import { Masker } from './mask.js';

/** Options of `runMasked`. */
export interface MaskedRunOptions {
  /** The command's whole environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Its working directory (default: this process's). */
  readonly cwd?: string;
  /** Values to mask in its stdout and stderr. */
  readonly mask: readonly string[];
  /** Killed after this many milliseconds. */
  readonly timeoutMs: number;
  /** Bytes kept of each stream after masking (the last ones). */
  readonly maxOutputBytes: number;
  /** Kills the command when aborted. */
  readonly signal?: AbortSignal;
}

/** How a masked run ended, and its masked output. */
export interface MaskedRunResult {
  /** The exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
  /** It was killed at the deadline. */
  readonly timedOut: boolean;
  /** It was killed because `signal` was aborted. */
  readonly cancelled: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Bytes (after masking) left out at the start of each stream to keep within the cap. */
  readonly dropped: { readonly stdout: number; readonly stderr: number };
}

const KILL_GRACE_MS = 2000;

/** The last `max` bytes of a stream. */
class Tail {
  #chunks: Buffer[] = [];
  #size = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.#chunks.push(b);
    this.#size += b.length;
    while (this.#size > this.max) {
      const first = this.#chunks[0] as Buffer;
      const cut = Math.min(first.length, this.#size - this.max);
      this.dropped += cut;
      this.#size -= cut;
      if (cut === first.length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(cut);
    }
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** Masks a child's stream into a tail; resolves when the stream ends. */
function capture(from: Readable, values: readonly string[], tail: Tail): Promise<void> {
  const m = new Masker(values, { partialAtEnd: 'mask' });
  return new Promise((resolve) => {
    from.on('data', (chunk: Buffer) => tail.push(m.push(chunk)));
    const done = () => {
      tail.push(m.end());
      resolve();
    };
    from.once('end', done);
    from.once('error', done);
  });
}

/**
 * Runs `argv` (no shell: pass `['sh', '-c', '...']` for one) and resolves with how it ended
 * and its masked output.
 * @throws NotFoundError when the command does not exist, UsageError when it cannot start.
 * @example
 * const r = await runMasked(['npm', 'test'], { env: { ...process.env, ...values }, mask: Object.values(values), timeoutMs: 60_000, maxOutputBytes: 65_536 });
 */
export async function runMasked(
  argv: readonly string[],
  opts: MaskedRunOptions,
): Promise<MaskedRunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined || cmd === '') throw new UsageError('no command to run');
  if (opts.signal?.aborted) throw new UsageError('the run was cancelled before it started');
  const child = spawn(cmd, args, {
    env: opts.env,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new NotFoundError(`cannot run "${cmd}": no such command`)
          : new UsageError(`cannot run "${cmd}" (${e.code ?? e.message})`),
      ),
    );
  });
  const out = new Tail(opts.maxOutputBytes);
  const err = new Tail(opts.maxOutputBytes);
  const copies = Promise.all([
    capture(child.stdout, opts.mask, out),
    capture(child.stderr, opts.mask, err),
  ]);
  let timedOut = false;
  let cancelled = false;
  let hardKill: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // the group is gone already
    }
  };
  const stop = () => {
    killGroup('SIGTERM');
    hardKill ??= setTimeout(() => {
      killGroup('SIGKILL');
      // A process that left the group may still hold the pipes: stop reading them.
      setTimeout(() => (child.stdout.destroy(), child.stderr.destroy()), 1000).unref();
    }, KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, opts.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    // Its children may still write: read until the pipes close (or the deadline kills them).
    await copies;
    return {
      exitCode: code,
      signal,
      timedOut,
      cancelled,
      stdout: out.text(),
      stderr: err.text(),
      dropped: { stdout: out.dropped, stderr: err.dropped },
    };
  } finally {
    clearTimeout(timer);
    if (hardKill) clearTimeout(hardKill);
    // Nothing it started outlives the run.
    killGroup('SIGKILL');
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
