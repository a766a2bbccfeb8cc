/**
 * Helpers for the `hush file` suites: the real binary run with binary-safe stdout, fed from a
 * generator, killed mid-transfer, and its resident memory sampled from /proc; deterministic
 * content generated on the fly (AES-128-CTR keystream, so gigabytes cost no disk or memory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { childEnv, HUSH } from './helpers.js';

/** A finished run with raw stdout bytes. */
export interface RawResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Peak resident set (VmHWM) seen while it ran, in bytes; 0 if never sampled. */
  readonly peakRss: number;
}

/** The peak resident set of a live process (VmHWM), in bytes; 0 once it is gone. */
export function peakRss(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A running `hush ARGS`, with its stdin writable and a way to wait for its end. */
export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<RawResult>;
}

/**
 * Starts `hush ARGS`. stdout is kept as bytes unless `onStdout` consumes it (then it is not
 * kept); the peak RSS is sampled every 50 ms while it runs.
 */
export function start(
  home: string,
  args: readonly string[],
  opts: { onStdout?: (b: Buffer) => void; cwd?: string } = {},
): Running {
  const child = spawn(process.execPath, [HUSH, ...args], {
    env: childEnv(home, {}),
    cwd: opts.cwd ?? tmpdir(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let err = '';
  let peak = 0;
  const sampler = setInterval(() => {
    if (child.pid) peak = Math.max(peak, peakRss(child.pid));
  }, 50);
  child.stdout?.on('data', (d: Buffer) => (opts.onStdout ? opts.onStdout(d) : out.push(d)));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin?.on('error', () => undefined);
  const done = new Promise<RawResult>((resolve) =>
    child.once('close', (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, peakRss: peak });
    }),
  );
  return { child, done };
}

/** Runs `hush ARGS` with `input` on stdin and returns raw stdout. */
export function run(
  home: string,
  args: readonly string[],
  input: Uint8Array | string = '',
): Promise<RawResult> {
  const r = start(home, args);
  r.child.stdin?.end(input);
  return r.done;
}

/**
 * `bytes` of deterministic content from `seed`, in 1 MiB pieces, with its SHA-256 at the end.
 * @example for (const piece of content(2 ** 31, 'big')) child.stdin.write(piece);
 */
export function* content(bytes: number, seed: string): Generator<Buffer, string> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const ctr = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  const hash = createHash('sha256');
  for (let left = bytes; left > 0; left -= zeros.length) {
    const piece = ctr.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
    hash.update(piece);
    yield piece;
  }
  return hash.digest('hex');
}

/** Writes a generator's pieces to a child's stdin with backpressure; resolves with its hash. */
export async function feed(child: ChildProcess, gen: Generator<Buffer, string>): Promise<string> {
  const stdin = child.stdin;
  if (!stdin) throw new Error('no stdin');
  for (let r = gen.next(); ; r = gen.next()) {
    if (r.done) {
      stdin.end();
      return r.value;
    }
    if (!stdin.write(r.value)) await new Promise((res) => stdin.once('drain', res));
  }
}
