/**
 * Device authentication: challenge, signed answer, tokens, refresh. No password or key
 * ever reaches the server; the device proves possession of its Ed25519 key.
 */
import { randomBytes } from 'node:crypto';
import { authChallengeMessage, fromBase64url } from '@hush/core';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import { fail } from '../errors.js';
import { bytesField, idParam } from '../ids.js';
import { issueTokens, refresh } from '../auth/tokens.js';

const CHALLENGE_TTL_MS = 60_000;

export function authRoutes(app: FastifyInstance, ctx: Context): void {
  app.post('/v1/auth/challenge', async (req) => {
    const body = req.body as { deviceId?: unknown } | null;
    const deviceId = idParam('deviceId', body?.deviceId);
    const device = await ctx.store.db
      .selectFrom('devices')
      .select('revoked_at')
      .where('id', '=', deviceId)
      .executeTakeFirst();
    if (!device) fail('HUSH_ERR_NOT_FOUND', 'unknown device: register it first');
    if (device.revoked_at !== null) fail('HUSH_ERR_DEVICE_REVOKED');
    const nonce = randomBytes(32).toString('base64url');
    await ctx.store.db.deleteFrom('challenges').where('expires_at', '<', Date.now()).execute();
    await ctx.store.db
      .insertInto('challenges')
      .values({ nonce, device_id: deviceId, expires_at: Date.now() + CHALLENGE_TTL_MS })
      .execute();
    return { nonce, expiresIn: CHALLENGE_TTL_MS / 1000 };
  });

  app.post('/v1/auth/token', async (req) => {
    const body = req.body as { deviceId?: unknown; nonce?: unknown; signature?: unknown } | null;
    const deviceId = idParam('deviceId', body?.deviceId);
    const nonce = bytesField('nonce', body?.nonce, 32);
    const signature = bytesField('signature', body?.signature, 64);
    // Single use: the challenge is deleted whether or not the answer verifies.
    const ch = await ctx.store.db
      .deleteFrom('challenges')
      .where('nonce', '=', body?.nonce as string)
      .where('device_id', '=', deviceId)
      .returning('expires_at')
      .executeTakeFirst();
    if (!ch || ch.expires_at < Date.now()) fail('HUSH_ERR_CHALLENGE_FAILED');
    const device = await ctx.store.db
      .selectFrom('devices')
      .select(['sig_pk', 'revoked_at'])
      .where('id', '=', deviceId)
      .executeTakeFirst();
    if (!device) fail('HUSH_ERR_CHALLENGE_FAILED');
    if (device.revoked_at !== null) fail('HUSH_ERR_DEVICE_REVOKED');
    const host = req.headers.host ?? '';
    const ok = await ctx.b.ed25519Verify(
      device.sig_pk,
      authChallengeMessage(nonce, fromBase64url(deviceId), host),
      signature,
    );
    if (!ok) fail('HUSH_ERR_CHALLENGE_FAILED');
    return issueTokens(ctx.store.db, deviceId);
  });

  app.post('/v1/auth/refresh', async (req) => {
    const body = req.body as { refreshToken?: unknown } | null;
    if (typeof body?.refreshToken !== 'string' || body.refreshToken.length > 200)
      fail('HUSH_ERR_BAD_REQUEST', '"refreshToken" must be a string');
    return refresh(ctx.store.db, body.refreshToken);
  });
}
