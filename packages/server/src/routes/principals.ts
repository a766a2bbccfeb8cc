/**
 * Principal chains: register (genesis and any links after it), append, read. Every link is
 * verified with core before it is stored; the device table mirrors the verified chain.
 * Chains are readable without a token: ids are unguessable hashes, and a device being
 * linked or an invitee must check a chain before it holds a token.
 */
import { ChainError, parseLink, principalCodec, PrincipalState, toBase64url } from '@hush/core';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { authenticate } from '../auth/guard.js';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { fail } from '../errors.js';
import { buf, bytesField, idParam, intParam } from '../ids.js';
import { appendEvents } from '../store/events.js';

const MAX_LINKS = 100;

function linksField(body: unknown): Uint8Array[] {
  const links = (body as { links?: unknown } | null)?.links;
  if (!Array.isArray(links) || links.length === 0 || links.length > MAX_LINKS) {
    fail('HUSH_ERR_BAD_REQUEST', `"links" must be an array of 1 to ${MAX_LINKS} base64url links`);
  }
  return links.map((l, i) => bytesField(`links[${i}]`, l));
}

/** Maps a core chain failure to the wire error. */
export function chainFailure(e: unknown): never {
  if (e instanceof ChainError) {
    // A link the author's role does not allow is a rights failure, not a malformed link.
    const code = e.reason === 'not-authorized' ? 'HUSH_ERR_FORBIDDEN' : 'HUSH_ERR_INVALID_LINK';
    fail(code, `link rejected: ${e.message}`, { reason: e.reason });
  }
  throw e;
}

/** Writes the links from `fromSeq` on and mirrors devices; fails with CHAIN_CONFLICT on a race. */
async function store(
  trx: Kysely<Database>,
  st: PrincipalState,
  links: readonly Uint8Array[],
  fromSeq: number,
): Promise<void> {
  const id = toBase64url(st.id);
  for (const [i, link] of links.entries()) {
    const seq = fromSeq + i;
    await trx
      .insertInto('principal_links')
      .values({
        principal_id: id,
        seq,
        hash: toBase64url(st.hashes[seq] as Uint8Array),
        link: buf(link),
      })
      .execute();
  }
  for (const d of st.devices.values()) {
    await trx
      .insertInto('devices')
      .values({
        id: toBase64url(d.id),
        principal_id: id,
        sig_pk: buf(d.sigPk),
        kem_pk: buf(d.kemPk),
        revoked_at: d.revokedAt ?? null,
      })
      .onConflict((oc) => oc.column('id').doUpdateSet({ revoked_at: d.revokedAt ?? null }))
      .execute();
  }
}

export function principalRoutes(app: FastifyInstance, ctx: Context): void {
  app.post('/v1/principals', async (req, reply) => {
    if (
      ctx.config.registration === 'invite' &&
      req.headers['x-hush-operator-token'] !== ctx.config.operatorToken
    ) {
      fail('HUSH_ERR_REGISTRATION_CLOSED');
    }
    const links = linksField(req.body);
    const st = await PrincipalState.verify(ctx.b, links).catch(chainFailure);
    const id = toBase64url(st.id);
    const existing = await ctx.store.db
      .selectFrom('principal_links')
      .select('link')
      .where('principal_id', '=', id)
      .where('seq', '=', 0)
      .executeTakeFirst();
    if (existing) {
      // Idempotent: registering the same genesis again is a success.
      if (Buffer.compare(existing.link, buf(links[0] as Uint8Array)) === 0)
        return { id, headSeq: st.seq };
      fail('HUSH_ERR_CONFLICT');
    }
    for (const d of st.devices.values()) {
      const taken = await ctx.store.db
        .selectFrom('devices')
        .select('id')
        .where('id', '=', toBase64url(d.id))
        .executeTakeFirst();
      if (taken)
        fail(
          'HUSH_ERR_CONFLICT',
          'a device of this chain is already registered to another principal',
        );
    }
    await ctx.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('principals')
        .values({ id, kind: st.kind, head_seq: st.seq, created_at: Date.now() })
        .execute();
      await store(trx, st, links, 0);
    });
    reply.code(201);
    return { id, headSeq: st.seq };
  });

  app.get('/v1/principals/:id', async (req) => {
    const id = idParam('id', (req.params as { id: string }).id);
    const st = await ctx.chains.principal(id);
    if (!st) fail('HUSH_ERR_NOT_FOUND', 'no such principal');
    return {
      id,
      kind: st.kind === 2 ? 'agent' : 'human',
      headSeq: st.seq,
      headHash: toBase64url(st.head),
      devices: [...st.devices.values()].map((d) => ({
        id: toBase64url(d.id),
        kind: d.kind,
        revoked: d.revokedAt !== undefined,
      })),
    };
  });

  app.get('/v1/principals/:id/links', async (req) => {
    const id = idParam('id', (req.params as { id: string }).id);
    const since = intParam('since', (req.query as { since?: string }).since, 0);
    const rows = await ctx.store.db
      .selectFrom('principal_links')
      .select(['seq', 'link'])
      .where('principal_id', '=', id)
      .where('seq', '>=', since)
      .orderBy('seq')
      .execute();
    if (rows.length === 0 && since === 0) fail('HUSH_ERR_NOT_FOUND', 'no such principal');
    return { links: rows.map((r) => toBase64url(r.link)), fromSeq: since };
  });

  app.post('/v1/principals/:id/links', async (req) => {
    const id = idParam('id', (req.params as { id: string }).id);
    const links = linksField(req.body);
    const first = await parseLink(ctx.b, principalCodec, links[0] as Uint8Array).catch(
      chainFailure,
    );
    // Accepting a device invite is authorized by the invite signature: the new device has no token yet.
    const selfAuthorized = links.length === 1 && first.body.type === 'accept-device-invite';
    if (!selfAuthorized) {
      const caller = await authenticate(ctx, req);
      if (caller.principalId !== id)
        fail('HUSH_ERR_FORBIDDEN', 'devices append only to their own principal chain');
    }
    const result = await ctx.store.db.transaction().execute(async (trx) => {
      const st = await ctx.chains.freshPrincipal(id, trx);
      if (!st) fail('HUSH_ERR_NOT_FOUND', 'no such principal');
      const fromSeq = st.seq + 1;
      if (first.seq < fromSeq) fail('HUSH_ERR_CHAIN_CONFLICT');
      for (const l of links) await st.apply(ctx.b, l).catch(chainFailure);
      const moved = await trx
        .updateTable('principals')
        .set({ head_seq: st.seq })
        .where('id', '=', id)
        .where('head_seq', '=', fromSeq - 1)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) fail('HUSH_ERR_CHAIN_CONFLICT');
      await store(trx, st, links, fromSeq);
      const teams = await trx
        .selectFrom('team_members')
        .select('team_id')
        .where('principal_id', '=', id)
        .execute();
      const events = [
        { principalId: id, type: 'principal.link', data: { principal: id, seq: st.seq } },
        ...teams.map((t) => ({
          teamId: t.team_id,
          type: 'principal.link',
          data: { principal: id, seq: st.seq },
        })),
      ];
      const last = await appendEvents(trx, ctx.store.dialect, events);
      return { st, last, teams };
    });
    ctx.bus.publish([
      { id: result.last, teamId: null, principalId: id },
      ...result.teams.map((t) => ({ id: result.last, teamId: t.team_id, principalId: null })),
    ]);
    return { id, headSeq: result.st.seq };
  });
}
