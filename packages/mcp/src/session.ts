/**
 * One MCP session: the identity it acts as (an opened `Hush`), the workspace its tools may
 * read, the lock every SDK call takes, and the watch that announces new messages.
 */
import { Hush, type Message } from '@hush/client';
import { gateEventStreams, Lock } from './lock.js';
import { Watcher, type Log } from './watcher.js';
import { Workspace } from './workspace.js';

/** How to open a session. */
export interface SessionOptions {
  /** The hush home (default: the SDK's, see docs/CLIENT.md "Files"). */
  readonly home?: string;
  /** Another relay URL than the one remembered in the home. */
  readonly server?: string;
  readonly insecureTransport?: boolean;
  /** The passphrase of a wrapped identity. */
  readonly passphrase?: string;
  /** The folder whose files the tools may read. */
  readonly workspace: string;
  /** Diagnostics (stderr). */
  readonly log: Log;
  /** The fetch the SDK uses underneath (tests and benches pass a counting one). */
  readonly fetch?: typeof fetch;
}

/** An opened identity, its workspace, and the watch. */
export class Session {
  readonly #lock: Lock;
  readonly #listeners: ((m: Message) => void)[] = [];
  /** The live watch (started by `start`). */
  readonly watcher: Watcher;

  private constructor(
    /** The SDK instance; use it only inside `exclusive`. */
    private readonly hush: Hush,
    lock: Lock,
    /** Where tool paths resolve. */
    readonly workspace: Workspace,
    readonly log: Log,
  ) {
    this.#lock = lock;
    this.watcher = new Watcher(hush, log, (m) => {
      for (const l of this.#listeners) l(m);
    });
  }

  /**
   * Opens the identity of a home (fails with the SDK's LocalStateError when there is none)
   * and the workspace.
   */
  static async open(o: SessionOptions): Promise<Session> {
    const lock = new Lock();
    const hush = await Hush.open({
      ...(o.home !== undefined ? { home: o.home } : {}),
      ...(o.server !== undefined ? { server: o.server } : {}),
      ...(o.insecureTransport ? { insecureTransport: true } : {}),
      ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
      fetch: gateEventStreams(lock, o.fetch),
    });
    const workspace = await Workspace.open(o.workspace, hush.whoami().home);
    return new Session(hush, lock, workspace, o.log);
  }

  /** Calls `l` for every new message from another principal that the watch verified. */
  onMessage(l: (m: Message) => void): void {
    this.#listeners.push(l);
  }

  /**
   * Runs `fn` with the SDK, alone (see lock.ts). Afterwards the SDK's non-fatal findings go
   * to the log, and waiters look at the cache again (`poke: false` for a waiter's own look).
   */
  async exclusive<T>(fn: (hush: Hush) => Promise<T>, opts: { poke?: boolean } = {}): Promise<T> {
    try {
      return await this.#lock.run(() => fn(this.hush));
    } finally {
      for (const w of this.hush.takeWarnings()) this.log(`warning: ${w}`);
      if (opts.poke !== false) this.watcher.poke();
    }
  }

  /**
   * Starts the watch, after a first verified sync of the team list: an agent is usually
   * added to its teams before its server starts, and team names resolve only through teams
   * this device has verified.
   */
  start(): void {
    void this.exclusive((hush) => hush.teams.list()).catch((e: unknown) =>
      this.log(`could not refresh the team list: ${(e as Error).message}`),
    );
    this.watcher.start();
  }

  /** Stops the watch. */
  close(): Promise<void> {
    return this.watcher.close();
  }
}
