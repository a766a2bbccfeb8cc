/**
 * The fault soak: many SDK clients, each with its own home, run workloads against a real
 * relay process that is killed with SIGKILL and restarted on the same storage and port
 * while they run. Sends that meet a dead relay go to each client's outbox and are
 * delivered later; at the end every client flushes its outbox, and each workload checks
 * that what was sent was delivered exactly once to every recipient.
 *
 * A workload is three functions (set up, one step of one client, verify), so new kinds of
 * traffic (messages, files, kv) join the same run by adding one; each client interleaves
 * the steps of every workload evenly over its run. Liveness is checked, not speed: every
 * client must finish within the deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Hush } from '@hush/client';
import { cleanup, harness, tempDir } from '../helpers.js';

/** Sends a client queues in a row before it waits for the relay to come back. */
const QUEUE_THEN_WAIT = 3;

/** How big a run is. */
export interface SoakConfig {
  readonly clients: number;
  /** SIGKILLs of the relay, spread evenly over the run. */
  readonly kills: number;
  /** How long the relay stays down after each kill. */
  readonly downMs: number;
  /** Every client must be done (steps and final flush) within this. */
  readonly deadlineMs: number;
  readonly dialect: 'sqlite' | 'postgres';
}

/** What a step may ask of the run. */
export interface Relay {
  /** Resolves once the relay is up again after the last kill that has begun (at once if none). */
  back(): Promise<void>;
}

/** Where a run keeps its state: the clients' homes and the relay's data dir. */
export interface SoakRun {
  readonly homes: readonly string[];
  readonly dataDir: string;
}

/** One kind of traffic in the soak. */
export interface Workload<S = unknown> {
  readonly name: string;
  /** Runs once, after every client exists and before any step. */
  setup(clients: readonly Hush[], run: SoakRun): Promise<S>;
  /** Step `j` of client `i`; returns the id of what must reach every recipient. */
  step(
    shared: S,
    client: Hush,
    i: number,
    j: number,
    relay: Relay,
  ): Promise<{ id: string; queued: boolean }>;
  /**
   * After the run: `sent[i]` are client i's ids in order. Throws what is wrong; resolves
   * with the workload's own figures for the report.
   */
  verify(
    shared: S,
    clients: readonly Hush[],
    sent: readonly string[][],
  ): Promise<Record<string, number>>;
}

/** A workload and how many steps each client takes of it. */
export interface Planned {
  readonly workload: Workload<unknown>;
  readonly steps: number;
}

/** What a run did. */
export interface SoakReport {
  readonly steps: number;
  /** Steps whose send met a dead (or restarting) relay and were queued in the outbox. */
  readonly queued: number;
  readonly kills: number;
  /** Envelopes delivered by the final outbox flushes. */
  readonly flushedAtEnd: number;
  readonly ms: number;
  /** The slowest client's time, steps and final flush. */
  readonly slowestClientMs: number;
  /** Each workload's figures from its verify, by workload name. */
  readonly figures: Record<string, Record<string, number>>;
}

/** The order of one client's steps: every workload's steps spread evenly over the run. */
function schedule(plan: readonly Planned[]): { k: number; j: number }[] {
  const all = plan.flatMap((p, k) =>
    Array.from({ length: p.steps }, (_, j) => ({ k, j, at: (j + 0.5) / p.steps })),
  );
  return all.sort((a, b) => a.at - b.at || a.k - b.k).map(({ k, j }) => ({ k, j }));
}

/** Rejects with `what` if `p` has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Flushes a client's outbox until it is empty; a refused envelope is a failure. */
async function drain(c: Hush, until: number): Promise<number> {
  let delivered = 0;
  for (;;) {
    const f = await c.outbox.flush();
    delivered += f.delivered.length;
    if (f.failed.length > 0)
      throw new Error(`the relay refused queued envelopes: ${JSON.stringify(f.failed)}`);
    if (f.remaining === 0) return delivered;
    if (Date.now() > until) throw new Error(`${f.remaining} envelopes still queued`);
    await sleep(100);
  }
}

/** Runs the `plan` with `cfg.clients` clients while the relay is killed `cfg.kills` times. */
export async function runSoak(cfg: SoakConfig, plan: readonly Planned[]): Promise<SoakReport> {
  const workloads = plan.map((p) => p.workload);
  const storage = new harness.Storage(cfg.dialect);
  const port = String(await harness.freePort());
  const args = ['--port', port, '--rate-limit', '100000'];
  let server = await harness.spawnServer(storage, args);
  const homes: string[] = [];
  try {
    const clients: Hush[] = [];
    for (let i = 0; i < cfg.clients; i++) {
      homes.push(tempDir(`soak${i}`));
      clients.push(
        await Hush.init({
          home: homes[i] as string,
          server: server.url,
          name: `client-${i}`,
          timeoutMs: 10_000,
        }),
      );
    }
    const shared: unknown[] = [];
    for (const w of workloads)
      shared.push(await w.setup(clients, { homes, dataDir: storage.dataDir }));

    const order = schedule(plan);
    const total = cfg.clients * order.length;
    const killAt = Array.from({ length: cfg.kills }, (_, k) =>
      Math.floor((total * (k + 1)) / (cfg.kills + 1)),
    );
    let done = 0;
    let queued = 0;
    let kills = 0;
    let faults: Promise<void> = Promise.resolve();
    const relay: Relay = { back: () => faults };
    const progress = () => {
      done++;
      if (killAt[kills] !== undefined && done >= (killAt[kills] as number)) {
        kills++;
        faults = faults.then(async () => {
          await server.kill();
          await sleep(cfg.downMs);
          server = await harness.spawnServer(storage, args);
        });
      }
    };

    const start = Date.now();
    const until = start + cfg.deadlineMs;
    let slowest = 0;
    const sent = workloads.map(() => clients.map(() => [] as string[]));
    const flushed = await Promise.all(
      clients.map((c, i) =>
        within(
          (async () => {
            let queuedInARow = 0;
            for (const { k, j } of order) {
              const r = await (workloads[k] as Workload<unknown>).step(shared[k], c, i, j, relay);
              (sent[k]?.[i] as string[]).push(r.id);
              if (r.queued) queued++;
              progress();
              // A client that keeps meeting a dead relay backs off until it is back, so
              // the rest of its sends meet the restarted relay, and the first of them
              // delivers what was queued.
              queuedInARow = r.queued ? queuedInARow + 1 : 0;
              if (queuedInARow >= QUEUE_THEN_WAIT) {
                await faults;
                queuedInARow = 0;
              }
            }
            // The last restart may still be on its way: wait for it before the final flush.
            await faults;
            const n = await drain(c, until);
            slowest = Math.max(slowest, Date.now() - start);
            return n;
          })(),
          cfg.deadlineMs,
          `client ${i}`,
        ),
      ),
    );
    await faults;
    const figures: Record<string, Record<string, number>> = {};
    for (const [k, w] of workloads.entries())
      figures[w.name] = await w.verify(shared[k], clients, sent[k] as string[][]);
    return {
      steps: total,
      queued,
      kills,
      flushedAtEnd: flushed.reduce((s, n) => s + n, 0),
      ms: Date.now() - start,
      slowestClientMs: slowest,
      figures,
    };
  } finally {
    await server.stop();
    await storage.destroy();
    cleanup(...homes);
  }
}
