// The writer's side of bench/lib/conn-worker.mjs: spawns the worker (with a raised open-file
// limit when asked) and calls its operations over IPC.
import { spawn } from 'node:child_process';
import { withFileLimit } from './server.mjs';

const WORKER = new URL('./conn-worker.mjs', import.meta.url).pathname;

export class ConnWorker {
  #proc;
  #next = 0;
  #calls = new Map();

  /** Starts a worker able to hold `nofile` open files (sockets). */
  constructor(nofile) {
    const argv = withFileLimit([process.execPath, WORKER], nofile);
    this.#proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.pid = this.#proc.pid;
    this.#proc.on('message', ({ id, ok, err }) => {
      const call = this.#calls.get(id);
      this.#calls.delete(id);
      if (err !== undefined) call?.reject(new Error(`connection worker: ${err}`));
      else call?.resolve(ok);
    });
    this.#proc.on('exit', (code) => {
      for (const c of this.#calls.values())
        c.reject(new Error(`connection worker exited: ${code}`));
      this.#calls.clear();
    });
  }

  #call(op, args = {}) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#proc.send({ id, op, args });
    });
  }

  /** Opens `count` connections ('sse' or 'plain'); `{ open, failed, firstError, seconds }`. */
  open(args) {
    return this.#call('open', args);
  }

  /** Opens `count` more SSE subscribers to `server` as `tokens`; throws if any fails. */
  async openSse(server, tokens, count) {
    const o = await this.open({ port: server.port, host: server.host, mode: 'sse', tokens, count });
    if (o.failed) throw new Error(`${o.failed} SSE connections failed: ${o.firstError}`);
  }

  /** Starts recording object events with seq in [from, from + count) on every connection. */
  arm(from, count) {
    return this.#call('arm', { from, count });
  }

  /** Waits until every armed event reached every connection, at most `timeoutMs`. */
  settle(timeoutMs) {
    return this.#call('settle', { timeoutMs });
  }

  /** Latencies of the recorded deliveries against `ref` (see conn-worker.mjs). */
  collect(ref, skip = 0) {
    return this.#call('collect', {
      ref: Array.from(ref, (x) => (Number.isFinite(x) ? x : null)),
      skip,
    });
  }

  /** GET /healthz on every plain connection at once: `{ sent, p50, max }`. */
  poll() {
    return this.#call('poll');
  }

  alive() {
    return this.#call('alive');
  }

  /** Ends the worker, which closes every connection. */
  async close() {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#proc.once('exit', resolve));
    this.#proc.disconnect();
    const t = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
