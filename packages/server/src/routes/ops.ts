/**
 * Operations endpoints: liveness (`/healthz`), readiness (`/readyz`, the database answers
 * within a short timeout) and Prometheus metrics (`/metrics`). None needs a token and none
 * reveals an id, a token or content. Also counts the bus traffic and database pool errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { registerRoutes } from '../app.js';
import type { Context, EventNotice } from '../context.js';
import { ERRORS, type ErrorCode } from '../errors.js';
import {
  dbErrors,
  eventsPublished,
  eventsReceived,
  METRICS_CONTENT_TYPE,
  renderMetrics,
  sseConnections,
  sseWindowEvents,
} from '../metrics.js';
import { pushStats } from '../push/hub.js';

/** How long `/readyz` waits for the database before answering 503. */
export const READY_TIMEOUT_MS = 2000;

/** Whether the database answers `select 1` within `timeoutMs`. */
export async function databaseReachable(
  ctx: Context,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const probe = sql`select 1`.execute(ctx.store.db).then(
    () => true,
    () => false,
  );
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const instrumented = new WeakSet<object>();

/** Counts the notices published and received on this process's bus, and pool errors. */
function instrument(ctx: Context): void {
  const bus = ctx.bus;
  if (instrumented.has(bus)) return;
  instrumented.add(bus);
  const publish = bus.publish.bind(bus);
  bus.publish = (notices: readonly EventNotice[]) => {
    eventsPublished.inc({}, notices.length);
    publish(notices);
  };
  bus.subscribe(() => eventsReceived.inc());
  ctx.store.pool?.on('error', () => dbErrors.inc({ kind: 'connection' }));
}

// The push hub counts its own streams; the gauges read it when scraped (once per process).
sseConnections.collect(() => pushStats().connections);
sseWindowEvents.collect(() => pushStats().windowEvents);

/**
 * Makes `app.close()` finish as soon as the requests in flight are answered. Node's
 * `server.close()` closes only the connections idle at that moment; a keep-alive connection
 * that goes idle later, or one opened without a request yet (browsers preconnect), would
 * hold the process for up to the keep-alive or headers timeout (a minute or more). So once
 * shutdown starts, answers carry `Connection: close`, connections without a request in
 * flight are dropped, and new connections are refused. The drain is bounded: a request
 * still in flight after `graceMs` (a client that stopped sending its body or reading its
 * answer) has its connection cut, with a warning, so shutdown always ends.
 */
export function drainOnClose(app: FastifyInstance, graceMs: number): void {
  const inFlight = new Map<Socket, number>();
  let closing = false;
  const track = (socket: Socket) => {
    // A TLS handshake that completes after shutdown began: nothing of it is in flight.
    if (closing) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  };
  // Over TLS, requests arrive on the TLS socket, not on the TCP socket under it.
  const tls = app.server instanceof TlsServer;
  // Every TCP connection, for the deadline (over TLS, one may still be in its handshake).
  const open = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (!tls) track(socket);
  });
  if (tls) app.server.on('secureConnection', track);
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const n = (inFlight.get(socket) ?? 1) - 1;
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, n);
      if (closing && n === 0) socket.destroySoon();
    });
  });
  let deadline: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, n] of inFlight) if (n === 0) socket.destroy();
    deadline = setTimeout(() => {
      app.log.warn(
        { connections: open.size, graceSeconds: graceMs / 1000 },
        'shutdown grace period over: cutting the connections still open',
      );
      for (const socket of open) socket.destroy();
    }, graceMs);
  });
  app.server.once('close', () => clearTimeout(deadline));
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}

/** Registers `/healthz`, `/readyz` and `/metrics`, metrics instrumentation and draining on close. */
export function opsRoutes(app: FastifyInstance, ctx: Context): void {
  instrument(ctx);
  drainOnClose(app, ctx.config.shutdownGraceSeconds * 1000);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (await databaseReachable(ctx)) return { status: 'ready' };
    dbErrors.inc({ kind: 'readiness' });
    const code: ErrorCode = 'HUSH_ERR_UNAVAILABLE';
    reply.code(ERRORS[code].status);
    return { error: { code, message: ERRORS[code].message } };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(METRICS_CONTENT_TYPE);
    return renderMetrics();
  });
}

registerRoutes(opsRoutes);
