/**
 * `GET /v1/events`: Server-Sent Events covering every team of the caller's principal and
 * the principal itself, with exact resume from `Last-Event-ID` (or `?since=`). The route
 * authenticates, registers the connection with the process's push hub (before reading
 * anything, so no wake-up is missed), works out the starting cursor and the team set as of
 * that cursor, and hands the socket to the stream. On graceful shutdown every stream gets
 * `event: shutdown` and is closed before the listener stops, so `close()` never hangs.
 */
import type { FastifyInstance } from 'fastify';
import { registerRoutes } from '../app.js';
import { authenticate } from '../auth/guard.js';
import type { Context } from '../context.js';
import { fail } from '../errors.js';
import { PushHub } from '../push/hub.js';
import { newestEventId, teamsAt, tokenExpiry } from '../push/scope.js';
import { EventStream } from '../push/stream.js';

/** Default heartbeat interval; `HUSH_SSE_HEARTBEAT_MS` overrides it (tests use a short one). */
export const HEARTBEAT_MS = 15_000;

/** Events kept in the shared window; `HUSH_SSE_WINDOW_EVENTS` overrides it (tests use 1). */
export const WINDOW_EVENTS = 10_000;

function envInt(env: NodeJS.ProcessEnv, name: string, def: number, min: number): number {
  const v = env[name];
  return v && /^\d{1,9}$/.test(v) && Number(v) >= min ? Number(v) : def;
}

/** The resume cursor: `Last-Event-ID` wins over `?since=` (it is the newer of the two). */
function resumeCursor(header: unknown, query: unknown): number | undefined {
  const raw = typeof header === 'string' && header !== '' ? header : query;
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw))
    fail('HUSH_ERR_BAD_REQUEST', '"Last-Event-ID" / "since" must be an event id (a whole number)');
  return Number(raw);
}

export function eventRoutes(app: FastifyInstance, ctx: Context): void {
  const hub = new PushHub(ctx, app.log, {
    heartbeatMs: envInt(process.env, 'HUSH_SSE_HEARTBEAT_MS', HEARTBEAT_MS, 10),
    windowRows: envInt(process.env, 'HUSH_SSE_WINDOW_EVENTS', WINDOW_EVENTS, 1),
  });
  // Streams end with a shutdown event before the listener waits for connections; drainOnClose
  // (routes/ops.ts) then closes each connection as soon as its last response is done.
  app.addHook('preClose', async () => {
    hub.close();
  });

  // No automatic HEAD twin: a HEAD request must not open a stream that can never carry data.
  app.get('/v1/events', { exposeHeadRoute: false }, async (req, reply) => {
    const caller = await authenticate(ctx, req);
    const since = resumeCursor(
      req.headers['last-event-id'],
      (req.query as { since?: unknown } | null)?.since,
    );
    const expiresAt = await tokenExpiry(ctx.store.db, req.headers.authorization);
    const res = reply.raw;
    const stream = new EventStream(hub, res, caller, expiresAt);
    if (hub.closed) fail('HUSH_ERR_UNAVAILABLE', 'the server is shutting down: reconnect shortly');
    hub.add(stream);
    let cursor: number;
    let teams: Set<string>;
    try {
      const newest = await newestEventId(ctx.store.db);
      if (since !== undefined && since > newest)
        fail('HUSH_ERR_BAD_REQUEST', '"Last-Event-ID" is ahead of this server\'s event log');
      cursor = since ?? newest;
      teams = await teamsAt(ctx.store.db, caller.principalId, cursor);
    } catch (e) {
      hub.remove(stream);
      throw e;
    }
    if (stream.closed) {
      hub.remove(stream);
      fail('HUSH_ERR_UNAVAILABLE', 'the server is shutting down: reconnect shortly');
    }
    reply.hijack();
    // The connection is not reused after the stream ends, so shutdown never waits on it.
    res.shouldKeepAlive = false;
    // Headers the app's hooks set on the reply (x-request-id, ...) go out too.
    for (const [k, v] of Object.entries(reply.getHeaders()))
      if (v !== undefined) res.setHeader(k, v);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store, no-transform',
      'x-accel-buffering': 'no',
    });
    stream.begin(cursor, teams);
  });
}

registerRoutes(eventRoutes);
