/**
 * What every route needs: configuration, database, verified chains, the push bus and the
 * crypto backend. One context per server process.
 */
import type { CryptoBackend } from '@hush/core';
import type { ServerConfig } from './config.js';
import type { Db } from './db/database.js';
import type { ChainStore } from './store/chains.js';

/** A committed event, announced so SSE connections (on this and other processes) can fetch it. */
export interface EventNotice {
  readonly id: number;
  readonly teamId: string | null;
  readonly principalId: string | null;
}

/** Cross-process fan-out of event notices (local, PostgreSQL LISTEN/NOTIFY or NATS). */
export interface Bus {
  /** Announces committed events to every server process (including this one). */
  publish(notices: readonly EventNotice[]): void;
  /** Registers a listener for notices from any process; returns an unsubscribe function. */
  subscribe(listener: (n: EventNotice) => void): () => void;
  close(): Promise<void>;
}

export interface Context {
  readonly config: ServerConfig;
  readonly store: Db;
  readonly chains: ChainStore;
  readonly b: CryptoBackend;
  readonly bus: Bus;
}

/** The authenticated caller of a request. */
export interface Caller {
  readonly deviceId: string;
  readonly principalId: string;
  /** The head of the caller's principal chain, read with the token. */
  readonly principalHead: number;
}
