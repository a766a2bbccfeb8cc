/**
 * Starts a server: database, bus, app, listener. Used by `hush-server`, `hush server` and
 * tests that need an in-process server (most tests use the real process instead).
 */
import { readFileSync } from 'node:fs';
import { nodeBackend } from '@hush/core/node';
import { buildApp } from './app.js';
import type { ServerConfig } from './config.js';
import type { Bus, Context } from './context.js';
import { openDatabase } from './db/database.js';
import { LocalBus } from './push/local-bus.js';
import { ChainStore } from './store/chains.js';

export interface RunningServer {
  readonly url: string;
  readonly context: Context;
  close(): Promise<void>;
}

/** Chooses the bus for the configuration; the scale-out buses register themselves here. */
export type BusFactory = (
  config: ServerConfig,
  store: Context['store'],
) => Promise<Bus | undefined>;
const busFactories: BusFactory[] = [];
export function registerBus(f: BusFactory): void {
  busFactories.push(f);
}

/** Background tasks (upload collection, token cleanup) started with the server. */
export type Task = (ctx: Context) => () => void;
const tasks: Task[] = [];
export function registerTask(t: Task): void {
  tasks.push(t);
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const store = await openDatabase(config);
  let bus: Bus | undefined;
  for (const f of busFactories) {
    bus = await f(config, store);
    if (bus) break;
  }
  const context: Context = {
    config,
    store,
    chains: new ChainStore(store.db, nodeBackend),
    b: nodeBackend,
    bus: bus ?? new LocalBus(),
  };
  const https =
    config.tlsCert && config.tlsKey
      ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }
      : undefined;
  const app = buildApp(context, https ? { https } : {});
  const stops = tasks.map((t) => t(context));
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `${https ? 'https' : 'http'}://${host}:${port}`,
    context,
    async close() {
      for (const s of stops) s();
      await app.close();
      await context.bus.close();
      await store.close();
    },
  };
}
