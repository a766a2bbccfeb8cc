/**
 * Runs a command as `hush secrets run` does: with extra variables in its environment, its
 * stdout and stderr through the masking filter (or the terminal itself), SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT forwarded, and its end passed on: its exit code becomes hush's, and a
 * command killed by a signal makes hush die of the same signal.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { sdk } from './context.js';
import { CliError, EXIT } from './errors.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** How the command ended. */
export type Ending = { readonly code: number } | { readonly signal: NodeJS.Signals };

/** Options of `runCommand`. */
export interface RunOptions {
  /** The child's whole environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Values to mask in its output; undefined gives it the terminal directly. */
  readonly mask: readonly string[] | undefined;
}

/**
 * Copies a child's output through the SDK's masking filter (the one the MCP server's
 * `secret_run` uses too) into one of our streams; resolves at its end.
 */
async function relay(from: Readable, to: Writable, values: readonly string[]): Promise<void> {
  const { maskStream } = await sdk();
  const masked = from.pipe(maskStream(values));
  masked.pipe(to, { end: false });
  await once(masked, 'end');
}

/**
 * Starts `argv` and resolves with how it ended, after its output was written.
 * @throws CliError (exit 6) when the command does not exist, (exit 2) when it cannot start.
 */
export async function runCommand(argv: readonly string[], opts: RunOptions): Promise<Ending> {
  const [cmd, ...args] = argv;
  if (cmd === undefined)
    throw new CliError(EXIT.usage, 'no command to run: hush secrets run -- COMMAND');
  const child = spawn(cmd, args, {
    env: opts.env,
    stdio: opts.mask ? ['inherit', 'pipe', 'pipe'] : 'inherit',
  });
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      child.kill(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    const started = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new CliError(EXIT.notFound, `cannot run "${cmd}": no such command`)
            : new CliError(EXIT.usage, `cannot run "${cmd}" (${e.code ?? e.message})`),
        ),
      );
    });
    const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('close', (code, signal) => resolve([code, signal])),
    );
    await started;
    const copies =
      opts.mask && child.stdout && child.stderr
        ? [
            relay(child.stdout, process.stdout, opts.mask),
            relay(child.stderr, process.stderr, opts.mask),
          ]
        : [];
    const [[code, signal]] = await Promise.all([closed, ...copies]);
    return signal ? { signal } : { code: code ?? 1 };
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

function drained(s: Writable): Promise<void> {
  return new Promise((resolve) => s.write('', () => resolve()));
}

/** Ends hush the way the command ended (never returns). */
export async function endLike(ending: Ending): Promise<never> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  if ('signal' in ending) {
    process.kill(process.pid, ending.signal);
    // A signal whose default action does not end a process: end with the shell's code.
    await new Promise((r) => setTimeout(r, 1000));
    process.exit(128 + signalNumber(ending.signal));
  }
  process.exit(ending.code);
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}
