/**
 * Builds the Fastify application: body limits, the coded error handler, and every route
 * group. Errors become `{ error: { code, message } }` with the registry's status; nothing
 * else (no stack, no input echo) reaches a client.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Context } from './context.js';
import { ERRORS, HttpError, type ErrorCode } from './errors.js';
import { addressLimitHook, retryAfterHook } from './limits/rate-limits.js';
import { dbErrors, internalErrors, observeRequest } from './metrics.js';
import { authRoutes } from './routes/auth.js';
import { principalRoutes } from './routes/principals.js';
import { teamRoutes } from './routes/teams.js';

/** Route groups register here; each takes the app and the shared context. */
export type RouteGroup = (app: FastifyInstance, ctx: Context) => void;

const routeGroups: RouteGroup[] = [authRoutes, principalRoutes, teamRoutes];

/** Lets other modules (objects, blobs, events, ops) add their routes. */
export function registerRoutes(...groups: RouteGroup[]): void {
  routeGroups.push(...groups);
}

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

// SQLSTATE classes and codes that mean "the database cannot serve us right now", not "this
// request is wrong": connection exceptions (08), insufficient resources (53), operator
// intervention (57P01-57P03), and any FATAL error (the session is gone).
const DB_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '3D000',
  'SQLITE_BUSY',
]);

function isDatabaseDown(e: unknown): boolean {
  const { code, message, severity } = (e ?? {}) as {
    code?: unknown;
    message?: unknown;
    severity?: unknown;
  };
  const c = String(code);
  return (
    DB_DOWN_CODES.has(c) ||
    /^(08|53)[0-9A-Z]{3}$/.test(c) ||
    severity === 'FATAL' ||
    severity === 'PANIC' ||
    (typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|not queryable|Client was closed/i.test(
        message,
      ))
  );
}

// A full disk or quota under the data dir (SQLite's file, blob files): the server cannot
// store anything right now, which is as temporary as an unreachable database.
const STORAGE_FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** Maps any thrown value to a registry error. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const fe = e as { code?: string; statusCode?: number; validation?: unknown };
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError('HUSH_ERR_BODY_TOO_LARGE');
  if (
    fe?.validation ||
    fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
    fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    fe?.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
  ) {
    return new HttpError('HUSH_ERR_BAD_REQUEST');
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpError(
      fe.statusCode === 413 ? 'HUSH_ERR_BODY_TOO_LARGE' : 'HUSH_ERR_BAD_REQUEST',
    );
  }
  if (isUniqueViolation(e)) return new HttpError('HUSH_ERR_CONFLICT');
  if (STORAGE_FULL_CODES.has(String(fe?.code)))
    return new HttpError('HUSH_ERR_UNAVAILABLE', 'the server storage is full: retry later');
  if (isDatabaseDown(e)) return new HttpError('HUSH_ERR_UNAVAILABLE');
  return new HttpError('HUSH_ERR_INTERNAL');
}

export function buildApp(
  ctx: Context,
  opts: { https?: { cert: Buffer; key: Buffer } } = {},
): FastifyInstance {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    bodyLimit: ctx.config.maxBodyBytes,
    logger: {
      level: ctx.config.logLevel,
      // Requests are logged by method, route and status only: never headers, query
      // strings (which could carry tokens) or bodies (ciphertext).
      serializers: {
        req: (r: { method: string; routeOptions?: { url?: string } }) => ({
          method: r.method,
          route: r.routeOptions?.url,
        }),
        res: (r: { statusCode: number }) => ({ status: r.statusCode }),
        // Error messages can quote input (JSON.parse does, and so do database errors with
        // their detail): only the type, code and stack frames are logged.
        err: (e: { name?: unknown; code?: unknown; stack?: unknown }) => ({
          type: String(e?.name),
          code: e?.code,
          message: '(not logged)',
          stack: String(e?.stack ?? '')
            .split('\n')
            .filter((l) => l.startsWith('    at '))
            .join('\n'),
        }),
      },
      redact: {
        paths: ['req.headers', 'headers', 'authorization', 'token', 'refreshToken', 'accessToken'],
        remove: true,
      },
    },
    // Server-chosen request ids (never a client header): logged as reqId, returned as x-request-id.
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Malformed percent-escapes and over-long path parameters are rejected by the router
    // before any handler runs: answer them with the same coded error, never echoing the path.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const e = toHttpError(err);
      void reply.code(e.status).send({ error: { code: e.code, message: e.message } });
    },
    forceCloseConnections: false,
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onRequest', addressLimitHook(ctx));
  app.addHook('onError', retryAfterHook);
  app.addHook('onError', async (_req, _reply, err) => {
    const code = toHttpError(err).code;
    if (code === 'HUSH_ERR_UNAVAILABLE') dbErrors.inc({ kind: 'unavailable' });
    else if (code === 'HUSH_ERR_INTERNAL') internalErrors.inc();
  });
  app.addHook('onResponse', async (req, reply) => {
    const type = String(reply.getHeader('content-type') ?? reply.raw.getHeader('content-type'));
    observeRequest(
      req.method,
      req.routeOptions.url,
      reply.statusCode,
      reply.elapsedTime / 1000,
      type.startsWith('text/event-stream'),
    );
  });
  app.setErrorHandler((err, req, reply) => {
    const e = toHttpError(err);
    if (e.status >= 500)
      req.log.error(
        {
          code: e.code,
          err: { name: (err as Error)?.name, code: (err as { code?: unknown })?.code },
        },
        'request failed',
      );
    reply.code(e.status).send({ error: { code: e.code, message: e.message, ...(e.extra ?? {}) } });
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send({
      error: {
        code: 'HUSH_ERR_NOT_FOUND' satisfies ErrorCode,
        message: ERRORS.HUSH_ERR_NOT_FOUND.message,
      },
    });
  });
  for (const g of routeGroups) g(app, ctx);
  return app;
}
