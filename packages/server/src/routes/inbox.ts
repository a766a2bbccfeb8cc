/**
 * Direct envelopes to principals (the inbox). A send is checked here (caller is the
 * signing device, the recipients include the sender and are registered, the signature
 * verifies under the author device's key from the verified principal chain), then
 * committed through the write batcher (store/inbox-write.ts). Each principal reads its
 * own inbox by sequence number and acknowledges entries; acknowledgement is per principal.
 */
import { toBase64url } from '@hush/core';
import type { FastifyInstance } from 'fastify';
import { registerRoutes } from '../app.js';
import { authenticate } from '../auth/guard.js';
import type { Caller, Context } from '../context.js';
import { fail } from '../errors.js';
import { buf, bytesField, idParam, intParam } from '../ids.js';
import { ackInbox, listInbox } from '../store/inbox-read.js';
import { directWriteKind, MAX_RECIPIENTS, type DirectWrite } from '../store/inbox-write.js';
import { parseEnvelope, requireValidSignature } from '../store/objects-envelope.js';
import { batcherFor } from '../store/writer.js';

const MAX_LIMIT = 1000;
const MAX_ACK = 1000;

async function checkSend(ctx: Context, caller: Caller, body: unknown): Promise<DirectWrite> {
  const bytes = bytesField('envelope', (body as { envelope?: unknown } | null)?.envelope);
  if (bytes.length > ctx.config.maxObjectBytes) fail('HUSH_ERR_OBJECT_TOO_LARGE');
  const env = parseEnvelope(bytes);
  const h = env.header;
  if (!h.direct) fail('HUSH_ERR_INVALID_ENVELOPE', 'this is not a direct envelope');
  if (
    toBase64url(h.author) !== caller.principalId ||
    toBase64url(h.authorDevice) !== caller.deviceId
  )
    fail('HUSH_ERR_FORBIDDEN', 'an envelope is uploaded by the device that signed it');
  // decodeHeader guarantees the recipients are sorted and unique.
  const recipients = h.direct.recipients.map(toBase64url);
  if (!recipients.includes(caller.principalId))
    fail('HUSH_ERR_INVALID_ENVELOPE', 'the sender must be one of the recipients');
  if (recipients.length > MAX_RECIPIENTS)
    fail(
      'HUSH_ERR_INVALID_ENVELOPE',
      `a direct envelope names at most ${MAX_RECIPIENTS} recipients`,
    );
  const sender = await ctx.chains.principal(caller.principalId, caller.principalHead);
  const device = sender?.deviceAt(h.authorDevice, h.createdAt);
  if (!device)
    fail('HUSH_ERR_INVALID_ENVELOPE', 'the author device was not active at the envelope time');
  await requireValidSignature(env, device.sigPk);
  const known = await ctx.store.db
    .selectFrom('principals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', 'in', recipients)
    .executeTakeFirstOrThrow();
  if (Number(known.n) !== recipients.length)
    fail('HUSH_ERR_NOT_FOUND', 'a recipient is not a registered principal');
  return {
    objectId: toBase64url(h.objectId),
    sender: caller.principalId,
    recipients,
    envelope: buf(bytes),
  };
}

function unackedParam(value: unknown): boolean {
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  fail('HUSH_ERR_BAD_REQUEST', '"unacked" must be 1, 0, true or false');
}

export function inboxRoutes(app: FastifyInstance, ctx: Context): void {
  app.post('/v1/inbox', async (req, reply) => {
    const caller = await authenticate(ctx, req);
    const write = await checkSend(ctx, caller, req.body);
    const r = await batcherFor(ctx).submit(directWriteKind, write);
    reply.code(r.created ? 201 : 200);
    return { objectId: r.objectId, seq: r.seq };
  });

  app.get('/v1/inbox', async (req) => {
    const caller = await authenticate(ctx, req);
    const q = req.query as { since?: string; limit?: string; unacked?: string };
    const since = intParam('since', q.since, 0);
    const limit = intParam('limit', q.limit, 100, MAX_LIMIT);
    if (limit < 1) fail('HUSH_ERR_BAD_REQUEST', `"limit" must be between 1 and ${MAX_LIMIT}`);
    return listInbox(ctx.store.db, caller.principalId, since, limit, unackedParam(q.unacked));
  });

  app.post('/v1/inbox/ack', async (req) => {
    const caller = await authenticate(ctx, req);
    const ids = (req.body as { objectIds?: unknown } | null)?.objectIds;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_ACK)
      fail('HUSH_ERR_BAD_REQUEST', `"objectIds" must be an array of 1 to ${MAX_ACK} ids`);
    const objectIds = ids.map((x, i) => idParam(`objectIds[${i}]`, x, 16));
    return { acked: await ackInbox(ctx.store.db, caller.principalId, objectIds) };
  });
}

registerRoutes(inboxRoutes);
