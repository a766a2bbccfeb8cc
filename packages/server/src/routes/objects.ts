/**
 * Team objects (messages, snippets, kv entries, secrets, file manifests). A write is
 * checked here as far as it can be without the database lock (caller, route against
 * header, membership and role, author rights in the verified team chain, the author
 * device's signature), then committed through the write batcher, which applies the
 * version, blind-index and quota rules (store/objects-write.ts) and appends the event.
 */
import {
  ChainError,
  canWrite,
  FLAG_TOMBSTONE,
  fromBase64url,
  toBase64url,
  type Collection,
  type EnvelopeHeader,
  type PrincipalResolver,
  type TeamState,
} from '@hush/core';
import type { FastifyInstance } from 'fastify';
import { registerRoutes } from '../app.js';
import { authenticateInTeam, authenticateMember, requireMember } from '../auth/guard.js';
import type { Caller, Context } from '../context.js';
import { fail } from '../errors.js';
import { buf, bytesField, idParam, intParam } from '../ids.js';
import { parseEnvelope, requireValidSignature } from '../store/objects-envelope.js';
import { getByBlindIndex, getObject, listObjects, listVersions } from '../store/objects-read.js';
import { objectWriteKind, type ObjectWrite } from '../store/objects-write.js';
import { batcherFor } from '../store/writer.js';

const MAX_LIMIT = 1000;

/** A version number from the path or query: 1 .. 2^53-1. */
export function versionParam(value: unknown): number {
  const v = intParam('version', value, 0);
  if (v < 1) fail('HUSH_ERR_BAD_REQUEST', '"version" must be 1 or more');
  return v;
}

function limitParam(value: unknown): number {
  const n = intParam('limit', value, 100, MAX_LIMIT);
  if (n < 1) fail('HUSH_ERR_BAD_REQUEST', `"limit" must be between 1 and ${MAX_LIMIT}`);
  return n;
}

/** The author device's key, if the verified team chain lets the author write this object. */
function authorKey(st: TeamState, resolve: PrincipalResolver, h: EnvelopeHeader): Uint8Array {
  try {
    return st.authorizeObject(h, resolve);
  } catch (e) {
    if (!(e instanceof ChainError)) throw e;
    if (e.reason === 'not-authorized')
      fail('HUSH_ERR_FORBIDDEN', 'the author may not write this object at its chain position');
    fail('HUSH_ERR_INVALID_ENVELOPE', `the envelope does not fit the team chain: ${e.message}`, {
      reason: e.reason,
    });
  }
}

/** Every check that needs no lock; returns the write for the batcher. */
async function checkWrite(
  ctx: Context,
  caller: Caller,
  teamHead: number | null,
  teamId: string,
  objectId: string,
  version: number,
  body: unknown,
): Promise<ObjectWrite> {
  const bytes = bytesField('envelope', (body as { envelope?: unknown } | null)?.envelope);
  if (bytes.length > ctx.config.maxObjectBytes) fail('HUSH_ERR_OBJECT_TOO_LARGE');
  // The verified chain (cached while its head is unchanged) gives the current role; the
  // batch checks membership again under the team lock.
  const st = await ctx.chains.team(teamId, teamHead);
  const role = st?.roleOf(fromBase64url(caller.principalId));
  if (!st || role === undefined)
    fail('HUSH_ERR_NOT_FOUND', 'no such team, or you are not a member');
  const env = parseEnvelope(bytes);
  const h = env.header;
  if (!h.team) fail('HUSH_ERR_INVALID_ENVELOPE', 'this is not a team envelope');
  if (
    toBase64url(h.team.teamId) !== teamId ||
    toBase64url(h.objectId) !== objectId ||
    h.objectVersion !== version
  ) {
    fail('HUSH_ERR_INVALID_ENVELOPE', 'the envelope header does not match the route');
  }
  if (
    toBase64url(h.author) !== caller.principalId ||
    toBase64url(h.authorDevice) !== caller.deviceId
  )
    fail('HUSH_ERR_FORBIDDEN', 'an envelope is uploaded by the device that signed it');
  if (!canWrite(role, h.collection as Collection))
    fail('HUSH_ERR_FORBIDDEN', 'your role cannot write this collection');
  const tombstone = (h.flags & FLAG_TOMBSTONE) !== 0;
  if (tombstone && version === 1)
    fail(
      'HUSH_ERR_INVALID_ENVELOPE',
      'a tombstone deletes an existing object: version 1 cannot be one',
    );
  const resolve = await ctx.chains.callerResolver(caller);
  await requireValidSignature(env, authorKey(st, resolve, h));
  return {
    teamId,
    objectId,
    version,
    collection: h.collection,
    blindIndex: h.blindIndex ? toBase64url(h.blindIndex) : null,
    tombstone,
    author: caller.principalId,
    device: caller.deviceId,
    envelope: buf(bytes),
  };
}

export function objectRoutes(app: FastifyInstance, ctx: Context): void {
  const kind = objectWriteKind(ctx.config.teamQuotaBytes);

  app.put('/v1/teams/:id/objects/:objectId/versions/:version', async (req, reply) => {
    const p = req.params as { id: string; objectId: string; version: string };
    const { caller, teamId, teamHead } = await authenticateInTeam(ctx, req, p.id);
    const objectId = idParam('objectId', p.objectId, 16);
    const version = versionParam(p.version);
    const write = await checkWrite(ctx, caller, teamHead, teamId, objectId, version, req.body);
    const r = await batcherFor(ctx).submit(kind, write);
    reply.code(r.created ? 201 : 200);
    return { seq: r.seq, objectId: r.objectId, version: r.version };
  });

  app.get('/v1/teams/:id/objects', async (req) => {
    const { teamId, role } = await authenticateMember(ctx, req, (req.params as { id: string }).id);
    const q = req.query as { since?: string; limit?: string };
    const since = intParam('since', q.since, 0);
    const limit = limitParam(q.limit);
    requireMember(role);
    return listObjects(ctx.store.db, teamId, since, limit);
  });

  app.get('/v1/teams/:id/objects/:objectId', async (req) => {
    const p = req.params as { id: string; objectId: string };
    const { teamId, role } = await authenticateMember(ctx, req, p.id);
    const objectId = idParam('objectId', p.objectId, 16);
    const q = req.query as { version?: string };
    const version = q.version === undefined ? undefined : versionParam(q.version);
    requireMember(role);
    const item = await getObject(ctx.store.db, teamId, objectId, version);
    if (!item) fail('HUSH_ERR_NOT_FOUND', 'no such object or version');
    return item;
  });

  app.get('/v1/teams/:id/objects/:objectId/versions', async (req) => {
    const p = req.params as { id: string; objectId: string };
    const { teamId, role } = await authenticateMember(ctx, req, p.id);
    const objectId = idParam('objectId', p.objectId, 16);
    const q = req.query as { since?: string; limit?: string };
    const since = intParam('since', q.since, 0);
    const limit = limitParam(q.limit);
    requireMember(role);
    const versions = await listVersions(ctx.store.db, teamId, objectId, since, limit);
    if (versions.length === 0 && since === 0) fail('HUSH_ERR_NOT_FOUND', 'no such object');
    return { objectId, versions, next: versions.at(-1)?.version ?? since };
  });

  app.get('/v1/teams/:id/kv/:blindIndex', async (req) => {
    const p = req.params as { id: string; blindIndex: string };
    const { teamId, role } = await authenticateMember(ctx, req, p.id);
    const blindIndex = idParam('blindIndex', p.blindIndex);
    requireMember(role);
    const item = await getByBlindIndex(ctx.store.db, teamId, blindIndex);
    if (!item) fail('HUSH_ERR_NOT_FOUND', 'nothing stored under this blind index');
    return item;
  });
}

registerRoutes(objectRoutes);
