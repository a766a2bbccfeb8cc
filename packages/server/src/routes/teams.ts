/**
 * Team chains and key boxes. An append is atomic with the key boxes it requires: a removal
 * without its rotation fails core verification, and a rotation must carry a box for every
 * recipient it names. Members, roles and generations are derived from the verified chain.
 */
import {
  decodeKeyBox,
  fromBase64url,
  equalBytes,
  invitePreviewMessage,
  KeyBoxError,
  parseLink,
  teamCodec,
  TeamState,
  toBase64url,
  type PrincipalResolver,
  type TeamState as TS,
} from '@hush/core';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { authenticate, authenticateMember, memberRole, requireMember } from '../auth/guard.js';
import type { Caller, Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { fail } from '../errors.js';
import { buf, bytesField, idParam, intParam } from '../ids.js';
import { appendEvents, type NewEvent } from '../store/events.js';
import { chainFailure } from './principals.js';

const MAX_LINKS = 100;
const MAX_BOXES = 10_000;

function arrayField(body: unknown, name: string, min: number, max: number): Uint8Array[] {
  const v = (body as Record<string, unknown> | null)?.[name];
  if (v === undefined && min === 0) return [];
  if (!Array.isArray(v) || v.length < min || v.length > max)
    fail(
      'HUSH_ERR_BAD_REQUEST',
      `"${name}" must be an array of ${min} to ${max} base64url strings`,
    );
  return v.map((x, i) => bytesField(`${name}[${i}]`, x));
}

/** Checks each key box against the verified state and returns rows to store. */
async function checkBoxes(st: TS, boxes: readonly Uint8Array[], resolve: PrincipalResolver) {
  const rows = [];
  for (const bytes of boxes) {
    let box;
    try {
      box = decodeKeyBox(bytes);
    } catch (e) {
      if (e instanceof KeyBoxError)
        fail('HUSH_ERR_BAD_REQUEST', 'a key box is not canonically encoded');
      throw e;
    }
    const gen = st.generations[box.generation - 1];
    if (!equalBytes(box.teamId, st.id) || !gen)
      fail('HUSH_ERR_BAD_REQUEST', 'a key box names another team or an unknown generation');
    const inGeneration = gen.recipients.some((r) => equalBytes(r, box.recipientId));
    const memberDevice = [...st.members.values()].some((m) =>
      resolve(m.principal)
        ?.activeDevices()
        .some((d) => equalBytes(d.id, box.recipientId)),
    );
    const openInvite = st.openInvites(Date.now()).some((i) => equalBytes(i.id, box.recipientId));
    if (!inGeneration && !memberDevice && !openInvite)
      fail('HUSH_ERR_BAD_REQUEST', 'a key box is addressed to a device or invite outside the team');
    rows.push({
      team_id: toBase64url(st.id),
      generation: box.generation,
      recipient_id: toBase64url(box.recipientId),
      box: buf(bytes),
    });
  }
  return rows;
}

async function saveMembers(trx: Kysely<Database>, st: TS): Promise<void> {
  const teamId = toBase64url(st.id);
  await trx.deleteFrom('team_members').where('team_id', '=', teamId).execute();
  const rows = [...st.members.values()].map((m) => ({
    team_id: teamId,
    principal_id: toBase64url(m.principal),
    role: m.role,
  }));
  if (rows.length > 0) await trx.insertInto('team_members').values(rows).execute();
}

async function insertBoxes(
  trx: Kysely<Database>,
  rows: Awaited<ReturnType<typeof checkBoxes>>,
): Promise<void> {
  for (const r of rows) {
    await trx
      .insertInto('key_boxes')
      .values(r)
      .onConflict((oc) =>
        oc.columns(['team_id', 'generation', 'recipient_id']).doUpdateSet({ box: r.box }),
      )
      .execute();
  }
}

export function teamRoutes(app: FastifyInstance, ctx: Context): void {
  app.post('/v1/teams', async (req, reply) => {
    const caller = await authenticate(ctx, req);
    const [link] = arrayField(req.body, 'links', 1, 1);
    const boxes = arrayField(req.body, 'keyBoxes', 1, MAX_BOXES);
    const parsed = await parseLink(ctx.b, teamCodec, link as Uint8Array).catch(chainFailure);
    if (
      toBase64url(parsed.author) !== caller.principalId ||
      toBase64url(parsed.signerDevice) !== caller.deviceId
    ) {
      fail('HUSH_ERR_FORBIDDEN', 'a team is created by the calling device for its own principal');
    }
    const resolve = await ctx.chains.callerResolver(caller);
    const st = await TeamState.fromCreate(ctx.b, link as Uint8Array, resolve).catch(chainFailure);
    const rows = await checkBoxes(st, boxes, resolve);
    const teamId = toBase64url(st.id);
    const last = await ctx.store.db.transaction().execute(async (trx) => {
      const exists = await trx
        .selectFrom('teams')
        .select('id')
        .where('id', '=', teamId)
        .executeTakeFirst();
      if (exists) return 0;
      await trx
        .insertInto('teams')
        .values({ id: teamId, head_seq: 0, object_seq: 0, bytes_used: 0, created_at: Date.now() })
        .execute();
      await trx
        .insertInto('team_links')
        .values({ team_id: teamId, seq: 0, hash: teamId, link: buf(link as Uint8Array) })
        .execute();
      await saveMembers(trx, st);
      await insertBoxes(trx, rows);
      return appendEvents(trx, ctx.store.dialect, [
        { principalId: caller.principalId, type: 'team.joined', data: { team: teamId } },
      ]);
    });
    if (last) ctx.bus.publish([{ id: last, teamId: null, principalId: caller.principalId }]);
    reply.code(last ? 201 : 200);
    return { id: teamId, headSeq: 0 };
  });

  app.get('/v1/teams', async (req) => {
    const caller = await authenticate(ctx, req);
    const rows = await ctx.store.db
      .selectFrom('team_members')
      .innerJoin('teams', 'teams.id', 'team_members.team_id')
      .select(['teams.id', 'teams.head_seq', 'team_members.role'])
      .where('team_members.principal_id', '=', caller.principalId)
      .orderBy('teams.created_at')
      .execute();
    return { teams: rows.map((r) => ({ id: r.id, headSeq: r.head_seq, role: r.role })) };
  });

  app.get('/v1/teams/:id/links', async (req) => {
    const { teamId: id, role } = await authenticateMember(
      ctx,
      req,
      (req.params as { id: string }).id,
    );
    const since = intParam('since', (req.query as { since?: string }).since, 0);
    requireMember(role);
    return readLinks(ctx, id, since);
  });

  app.get('/v1/teams/:id/keyboxes', async (req) => {
    const {
      caller,
      teamId: id,
      role,
    } = await authenticateMember(ctx, req, (req.params as { id: string }).id);
    requireMember(role);
    const rows = await ctx.store.db
      .selectFrom('key_boxes')
      .select(['generation', 'box'])
      .where('team_id', '=', id)
      .where('recipient_id', '=', caller.deviceId)
      .orderBy('generation')
      .execute();
    return { keyBoxes: rows.map((r) => ({ generation: r.generation, box: toBase64url(r.box) })) };
  });

  // Which devices hold a box for one generation (ids only), for the client's audit that
  // every active device of every member can read (PROTOCOL.md 5.5). A hint, not a proof.
  app.get('/v1/teams/:id/keyboxes/recipients', async (req) => {
    const { teamId: id, role } = await authenticateMember(
      ctx,
      req,
      (req.params as { id: string }).id,
    );
    const generation = intParam('generation', (req.query as { generation?: string }).generation, 0);
    if (generation < 1) fail('HUSH_ERR_BAD_REQUEST', '"generation" must be given, 1 or more');
    requireMember(role);
    const rows = await ctx.store.db
      .selectFrom('key_boxes')
      .select('recipient_id')
      .where('team_id', '=', id)
      .where('generation', '=', generation)
      .orderBy('recipient_id')
      .execute();
    return { generation, recipients: rows.map((r) => r.recipient_id) };
  });

  // An invitee reads the chain and the key box sealed to its invite before accepting, by
  // proving it holds the invite key (signature over a fresh nonce it chose, and this host).
  app.post('/v1/teams/:id/invite-preview', async (req) => {
    await authenticate(ctx, req);
    const id = idParam('id', (req.params as { id: string }).id);
    const body = req.body as Record<string, unknown> | null;
    const inviteId = bytesField('inviteId', body?.inviteId, 32);
    const nonce = bytesField('nonce', body?.nonce, 32);
    const signature = bytesField('signature', body?.signature, 64);
    const st = await ctx.chains.team(id);
    const invite = st?.invite(inviteId);
    if (!st || !invite || invite.used || invite.expires < Date.now())
      fail('HUSH_ERR_NOT_FOUND', 'no open invite with this id');
    const msg = invitePreviewMessage(nonce, st.id, inviteId, req.headers.host ?? '');
    if (!(await ctx.b.ed25519Verify(invite.sigPk, msg, signature)))
      fail('HUSH_ERR_FORBIDDEN', 'the invite proof does not verify');
    const boxes = await ctx.store.db
      .selectFrom('key_boxes')
      .select(['generation', 'box'])
      .where('team_id', '=', id)
      .where('recipient_id', '=', toBase64url(inviteId))
      .execute();
    return {
      ...(await readLinks(ctx, id, 0)),
      keyBoxes: boxes.map((r) => ({ generation: r.generation, box: toBase64url(r.box) })),
    };
  });

  app.post('/v1/teams/:id/links', async (req) => {
    const caller = await authenticate(ctx, req);
    const id = idParam('id', (req.params as { id: string }).id);
    const links = arrayField(req.body, 'links', 0, MAX_LINKS);
    const boxes = arrayField(req.body, 'keyBoxes', 0, MAX_BOXES);
    if (links.length === 0) return boxesOnly(ctx, caller, id, boxes);
    const parsed = await Promise.all(
      links.map((l) => parseLink(ctx.b, teamCodec, l).catch(chainFailure)),
    );
    for (const l of parsed) {
      if (
        toBase64url(l.author) !== caller.principalId ||
        toBase64url(l.signerDevice) !== caller.deviceId
      ) {
        fail('HUSH_ERR_FORBIDDEN', 'every link must be authored and signed by the calling device');
      }
    }
    const joining = parsed.length > 0 && parsed[0]?.body.type === 'accept-invite';
    if (!joining) await memberRole(ctx, caller, id);
    const { st, last, events } = await ctx.store.db.transaction().execute(async (trx) => {
      const st = await ctx.chains.freshTeam(id, trx);
      if (!st) fail('HUSH_ERR_NOT_FOUND', 'no such team, or you are not a member');
      const fromSeq = st.seq + 1;
      // Links built on a head that has since moved: the client must fetch and rebuild.
      if ((parsed[0]?.seq ?? fromSeq) < fromSeq) fail('HUSH_ERR_CHAIN_CONFLICT');
      const before = new Set([...st.members.keys()]);
      const mentioned = await ctx.chains.mentioned(links);
      for (const m of st.members.values()) mentioned.add(toBase64url(m.principal));
      const resolve = await ctx.chains.resolver(mentioned, trx);
      for (const l of links) await st.apply(ctx.b, l, resolve).catch(chainFailure);
      try {
        st.assertComplete();
      } catch (e) {
        chainFailure(e);
      }
      const rows = await checkBoxes(st, boxes, resolve);
      for (let g = 0; g < st.generations.length; g++) {
        const gen = st.generations[g];
        if (!gen || gen.startSeq < fromSeq) continue;
        for (const r of gen.recipients) {
          if (
            !rows.some((x) => x.generation === gen.generation && x.recipient_id === toBase64url(r))
          ) {
            fail(
              'HUSH_ERR_BAD_REQUEST',
              `the rotation to generation ${gen.generation} lacks a key box for one of its recipients`,
            );
          }
        }
      }
      const moved = await trx
        .updateTable('teams')
        .set({ head_seq: st.seq })
        .where('id', '=', id)
        .where('head_seq', '=', fromSeq - 1)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) fail('HUSH_ERR_CHAIN_CONFLICT');
      for (const [i, link] of links.entries()) {
        await trx
          .insertInto('team_links')
          .values({
            team_id: id,
            seq: fromSeq + i,
            hash: toBase64url(st.hashes[fromSeq + i] as Uint8Array),
            link: buf(link),
          })
          .execute();
      }
      await saveMembers(trx, st);
      await insertBoxes(trx, rows);
      const after = new Set([...st.members.keys()]);
      const events: NewEvent[] = [
        { teamId: id, type: 'team.link', data: { team: id, seq: st.seq } },
      ];
      for (const [hex, m] of st.members)
        if (!before.has(hex))
          events.push({
            principalId: toBase64url(m.principal),
            type: 'team.joined',
            data: { team: id },
          });
      for (const hex of before)
        if (!after.has(hex))
          events.push({
            principalId: toBase64url(Buffer.from(hex, 'hex')),
            type: 'team.left',
            data: { team: id },
          });
      const last = await appendEvents(trx, ctx.store.dialect, events);
      return { st, last, events };
    });
    ctx.bus.publish(
      events.map((e) => ({
        id: last,
        teamId: e.teamId ?? null,
        principalId: e.principalId ?? null,
      })),
    );
    return { id, headSeq: st.seq };
  });
}

/**
 * Key boxes without links: a member gives the team keys it holds to another of its own
 * devices (one linked after the last rotation). Recipients are limited to the caller's own
 * active devices, so a member cannot overwrite another member's boxes.
 */
async function boxesOnly(ctx: Context, caller: Caller, id: string, boxes: Uint8Array[]) {
  if (boxes.length === 0) fail('HUSH_ERR_BAD_REQUEST', '"links" and "keyBoxes" are both empty');
  await memberRole(ctx, caller, id);
  const { st, last } = await ctx.store.db.transaction().execute(async (trx) => {
    const st = await ctx.chains.freshTeam(id, trx);
    if (!st) fail('HUSH_ERR_NOT_FOUND', 'no such team, or you are not a member');
    const resolve = await ctx.chains.resolver(
      [...st.members.values()].map((m) => toBase64url(m.principal)),
      trx,
    );
    const rows = await checkBoxes(st, boxes, resolve);
    const own = new Set(
      (resolve(fromBase64url(caller.principalId))?.activeDevices() ?? []).map((d) =>
        toBase64url(d.id),
      ),
    );
    if (rows.some((r) => !own.has(r.recipient_id))) {
      fail(
        'HUSH_ERR_FORBIDDEN',
        'key boxes without links may only be addressed to your own devices',
      );
    }
    await insertBoxes(trx, rows);
    const last = await appendEvents(trx, ctx.store.dialect, [
      { principalId: caller.principalId, type: 'team.keys', data: { team: id } },
    ]);
    return { st, last };
  });
  ctx.bus.publish([{ id: last, teamId: null, principalId: caller.principalId }]);
  return { id, headSeq: st.seq };
}

async function readLinks(ctx: Context, id: string, since: number) {
  const rows = await ctx.store.db
    .selectFrom('team_links')
    .select(['seq', 'link'])
    .where('team_id', '=', id)
    .where('seq', '>=', since)
    .orderBy('seq')
    .execute();
  return { links: rows.map((r) => toBase64url(r.link)), fromSeq: since };
}
