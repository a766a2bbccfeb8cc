/**
 * Chooses the cross-process fan-out: NATS when `NATS_URL` is set, else PostgreSQL
 * LISTEN/NOTIFY when storage is PostgreSQL, else nothing (the server's in-process LocalBus:
 * one process on SQLite needs no fan-out).
 */
import { registerBus } from '../server.js';
import { busWarn } from './log.js';
import { NatsBus } from './nats-bus.js';
import { PgBus } from './pg-bus.js';

registerBus(async (config, store) => {
  const warn = busWarn(config.logLevel);
  if (config.natsUrl) return NatsBus.connect(config.natsUrl, warn);
  if (store.dialect === 'postgres' && store.pool && config.databaseUrl)
    return PgBus.start(config.databaseUrl, store.pool, warn);
  return undefined;
});
