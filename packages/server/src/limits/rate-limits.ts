/**
 * The two request rate limits, both in memory per process (behind N processes the effective
 * limit is N times higher):
 * - per device, after authentication: `--rate-limit` requests per second, burst twice that;
 * - per client address, on the routes that need no token (sign-in and registration), so a
 *   client cannot hammer challenges, refresh tokens or the operator token.
 * Both refuse with HUSH_ERR_RATE_LIMITED (429) and a `Retry-After` header.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { HttpError } from '../errors.js';
import { rateLimited } from '../metrics.js';
import { clientKey } from './client-address.js';
import { TokenBuckets } from './token-bucket.js';

/** Requests per second per client address on the routes without a token. */
export const ADDRESS_RATE = 10;
/** Burst per client address on the routes without a token. */
export const ADDRESS_BURST = 20;

interface Limiters {
  device: TokenBuckets;
  address: TokenBuckets;
}

const perContext = new WeakMap<Context, Limiters>();
const counted = new WeakSet<FastifyRequest>();

function limiters(ctx: Context): Limiters {
  let l = perContext.get(ctx);
  if (!l) {
    const rate = ctx.config.rateLimit;
    l = {
      device: new TokenBuckets(rate, rate * 2),
      address: new TokenBuckets(ADDRESS_RATE, ADDRESS_BURST),
    };
    perContext.set(ctx, l);
  }
  return l;
}

function refuse(scope: 'device' | 'address', wait: number): never {
  rateLimited.inc({ scope });
  const retryAfter = Math.max(1, Math.ceil(wait));
  throw new HttpError(
    'HUSH_ERR_RATE_LIMITED',
    scope === 'device'
      ? undefined
      : 'too many unauthenticated requests from this address: slow down',
    { retryAfter },
  );
}

/**
 * Counts one request of an authenticated device (once per request, however often the route
 * authenticates); throws HUSH_ERR_RATE_LIMITED when its bucket is empty.
 */
export function limitDevice(ctx: Context, req: FastifyRequest, deviceId: string): void {
  if (counted.has(req)) return;
  counted.add(req);
  const wait = limiters(ctx).device.take(deviceId);
  if (wait > 0) refuse('device', wait);
}

/** Whether a route is one of those that need no token and so are limited by address. */
export function isUnauthenticatedRoute(method: string, route: string | undefined): boolean {
  if (!route) return false;
  return route.startsWith('/v1/auth/') || (method === 'POST' && route === '/v1/principals');
}

/** An onRequest hook: the per-address limit on the routes that need no token. */
export function addressLimitHook(ctx: Context) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!isUnauthenticatedRoute(req.method, req.routeOptions.url)) return;
    const key = clientKey(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (key === undefined) return;
    const wait = limiters(ctx).address.take(key);
    if (wait > 0) refuse('address', wait);
  };
}

/** An onError hook: a rate-limited answer carries `Retry-After` (seconds). */
export async function retryAfterHook(
  _req: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
): Promise<void> {
  if (err instanceof HttpError && err.code === 'HUSH_ERR_RATE_LIMITED') {
    const s = err.extra?.retryAfter;
    if (typeof s === 'number') reply.header('retry-after', String(s));
  }
}
