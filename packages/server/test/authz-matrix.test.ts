/**
 * The authorization matrix: every route that takes a token, called with no token, an
 * expired token, a revoked device, a member of another team and a reader writing, answers
 * the exact status and code; the same request from an authorized caller succeeds (so the
 * matrix cannot pass vacuously). Public routes work without a token. Every answer is also
 * checked against the OpenAPI document: the error code is listed for that status, and a
 * success body matches the documented schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  blindIndex,
  COLLECTION,
  createTeam,
  generateDevice,
  indexKey,
  inviteKeys,
  invitePreviewMessage,
  newInviteToken,
  principalLink,
  ROLE,
  sealDirectEnvelope,
  sealKeyBox,
  sealTeamEnvelope,
  toBase64url,
  utf8,
  type Collection,
  type TeamKey,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import { hashToken } from '../src/auth/tokens.js';
import { openApiDocument } from '../src/openapi.js';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import {
  DbPeek,
  errorCode,
  fill,
  operationOf,
  rawRequest,
  ROUTES,
  routeKey,
  schemaErrors,
  type RawReply,
  type RouteRow,
} from './routes.js';
import { TestTeam } from './teams-fixture.js';

const doc = openApiDocument();

/** One request: path with real ids, and a JSON body or raw bytes. */
interface Req {
  path: string;
  body?: unknown;
  raw?: Uint8Array;
}

/** Who calls, for the request builders: a principal and one of its devices. */
type Actor = TestClient;

/** How to build a valid request for a route, as a given caller. */
interface MatrixRow {
  req(as: Actor): Promise<Req>;
  /** The authorized caller's success status. */
  ok: number;
  /** Runs after the authorized caller succeeded (keeps local chain state in step). */
  onOk?: (reply: RawReply) => Promise<void>;
  /** What a member of another team gets, when not the default for the route's scope. */
  other?: { status: number; code?: string };
}

function send(server: ServerProcess, method: string, token: string | undefined, r: Req) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body: Uint8Array | undefined;
  if (r.raw) {
    headers['content-type'] = 'application/octet-stream';
    body = r.raw;
  } else if (r.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(r.body));
  }
  return rawRequest(server.url, method, r.path, headers, body);
}

/** Asserts status and code, and that the OpenAPI document lists the code at that status. */
function expectError(row: RouteRow, reply: RawReply, status: number, code: string, who: string) {
  const where = `${row.method} ${row.path} (${who})`;
  assert.equal(reply.status, status, `${where}: ${reply.body}`);
  if (row.method === 'HEAD') return;
  assert.equal(errorCode(reply.body), code, `${where}: ${reply.body}`);
  const op = operationOf(doc, row.method, row.path) as Record<string, unknown>;
  const resp = (op.responses as Record<string, Record<string, unknown>>)[String(status)];
  assert.ok(
    (resp?.['x-hush-error-codes'] as string[] | undefined)?.includes(code),
    `${where}: the OpenAPI document lists ${code} at ${status}`,
  );
  const schema = (resp?.content as Record<string, { schema: Record<string, unknown> }>)[
    'application/json'
  ]?.schema as Record<string, unknown>;
  assert.deepEqual(schemaErrors(doc, schema, JSON.parse(reply.body)), [], where);
}

/** Asserts a success, and that a JSON body matches the documented schema. */
function expectOk(row: RouteRow, reply: RawReply, status: number, who: string) {
  const where = `${row.method} ${row.path} (${who})`;
  assert.equal(reply.status, status, `${where}: ${reply.body}`);
  const op = operationOf(doc, row.method, row.path) as Record<string, unknown>;
  const resp = (op.responses as Record<string, Record<string, unknown>>)[String(status)];
  assert.ok(resp, `${where}: the OpenAPI document has a ${status} response`);
  const schema = (
    resp.content as Record<string, { schema: Record<string, unknown> }> | undefined
  )?.['application/json']?.schema;
  if (schema && row.method !== 'HEAD' && row.path !== '/openapi.json')
    assert.deepEqual(schemaErrors(doc, schema, JSON.parse(reply.body)), [], where);
}

for (const kind of await dialects()) {
  describe(`authorization matrix (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let alice: TestClient; // owner of `team`
    let bob: TestClient; // writer
    let carol: TestClient; // reader
    let dave: TestClient; // owner of another team only
    let expired: TestClient; // alice's device, with an expired access token
    let laptop: TestClient; // alice's second device, revoked
    let team: TestTeam;
    const fixture = {
      objectId: '',
      blindIndex: '',
      inboxId: '',
      doneBlob: '', // complete, uploaded by alice
      blob: toBase64url(b.randomBytes(16)), // created by the matrix's own positive case
      invite: undefined as undefined | Awaited<ReturnType<typeof inviteKeys>>,
    };

    async function seal(as: Actor, collection: Collection = COLLECTION.message, bi?: Uint8Array) {
      const generation = team.state.current.generation;
      const objectId = b.randomBytes(16);
      const { envelope } = await sealTeamEnvelope(b, {
        teamId: team.state.id,
        generation,
        chainSeq: team.state.seq,
        key: team.keys[generation - 1] as TeamKey,
        author: as.state.id,
        device: as.device,
        collection,
        body: utf8('matrix'),
        objectId,
        objectVersion: 1,
        ...(bi ? { blindIndex: bi } : {}),
      });
      return { objectId: toBase64url(objectId), envelope: toBase64url(envelope) };
    }

    async function direct(as: Actor, to: TestClient) {
      const devices = [as, to].flatMap((c) =>
        c.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })),
      );
      const { envelope } = await sealDirectEnvelope(b, {
        recipients: [to.state.id],
        devices,
        author: as.state.id,
        device: as.device,
        collection: COLLECTION.message,
        body: utf8('hi'),
      });
      return toBase64url(envelope);
    }

    async function ok(as: TestClient, method: string, path: string, body?: unknown) {
      const r = await as.request(method, path, body);
      assert.ok(r.status < 300, `${method} ${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    }

    before(async () => {
      server = await spawnServer(storage, ['--rate-limit', '100000']);
      [alice, bob, carol, dave] = (await Promise.all(
        [0, 1, 2, 3].map(() => TestClient.create(server.url)),
      )) as [TestClient, TestClient, TestClient, TestClient];
      team = await TestTeam.create(alice);
      assert.equal((await team.add(alice, bob, ROLE.writer)).status, 200);
      assert.equal((await team.add(alice, carol, ROLE.reader)).status, 200);
      await TestTeam.create(dave, 'elsewhere');

      // Fixtures the read routes need.
      const m = await seal(alice);
      await ok(alice, 'PUT', `/v1/teams/${team.id}/objects/${m.objectId}/versions/1`, m);
      fixture.objectId = m.objectId;
      const ik = await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'kv');
      const bi = await blindIndex(b, ik, 'env', 'MATRIX');
      const kv = await seal(alice, COLLECTION.kv, bi);
      await ok(alice, 'PUT', `/v1/teams/${team.id}/objects/${kv.objectId}/versions/1`, kv);
      fixture.blindIndex = toBase64url(bi);
      const sent = await ok(alice, 'POST', '/v1/inbox', { envelope: await direct(alice, bob) });
      fixture.inboxId = sent.objectId as string;
      fixture.doneBlob = toBase64url(b.randomBytes(16));
      await ok(alice, 'POST', `/v1/teams/${team.id}/blobs`, { blobId: fixture.doneBlob });
      const put = await alice.request('PUT', `/v1/blobs/${fixture.doneBlob}/chunks/0`, undefined, {
        raw: new Uint8Array(100).fill(7),
      });
      assert.equal(put.status, 201);
      await ok(alice, 'POST', `/v1/blobs/${fixture.doneBlob}/complete`, {
        chunkCount: 1,
        totalSize: 100,
      });
      // An open invite, with a key box sealed to it.
      const inv = await inviteKeys(b, newInviteToken(b, 'team', team.state.id));
      const invLink = await team.link(alice, {
        type: 'invite',
        inviteSigPk: inv.sigPk,
        inviteKemPk: inv.kemPk,
        role: ROLE.writer,
        expires: Date.now() + 3_600_000,
      });
      const gen = team.state.current.generation;
      const box = await sealKeyBox(
        b,
        team.state.id,
        gen,
        team.keys[gen - 1] as TeamKey,
        inv.inviteId,
        inv.kemPk,
      );
      assert.equal((await team.send(alice, [invLink.bytes], [box])).status, 200);
      fixture.invite = inv;

      // An expired token: a second sign-in of alice's device, expired in the database.
      expired = new TestClient(server.url, alice.device);
      expired.state = alice.state;
      assert.equal((await expired.signIn()).status, 200);
      const db = await DbPeek.open(storage);
      try {
        await db.query('UPDATE tokens SET expires_at = ? WHERE hash = ?', [
          Date.now() - 1000,
          hashToken(expired.accessToken as string),
        ]);
      } finally {
        await db.close();
      }

      // A revoked device: alice links a laptop, signs it in, then revokes it.
      const dev = await generateDevice(b);
      const add = await principalLink(
        b,
        alice.state,
        alice.device,
        { type: 'add-device', sigPk: dev.sigPk, kemPk: dev.kemPk },
        { second: dev.sigSeed },
      );
      await ok(alice, 'POST', `/v1/principals/${alice.id}/links`, {
        links: [toBase64url(add.bytes)],
      });
      await alice.state.apply(b, add.bytes);
      laptop = new TestClient(server.url, dev);
      laptop.state = alice.state;
      assert.equal((await laptop.signIn()).status, 200);
      const revoke = await principalLink(b, alice.state, alice.device, {
        type: 'revoke-device',
        deviceId: dev.id,
      });
      await ok(alice, 'POST', `/v1/principals/${alice.id}/links`, {
        links: [toBase64url(revoke.bytes)],
      });
      await alice.state.apply(b, revoke.bytes);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    const T = () => team.id;
    /** A reader acts on the complete blob (reads allowed, writes refused); others on the matrix's blob. */
    const blobFor = (as: Actor) => (as === carol ? fixture.doneBlob : fixture.blob);

    const MATRIX: Record<string, MatrixRow> = {
      [routeKey('POST', '/v1/principals/:id/links')]: {
        // Every caller posts a link alice's device built: only the token decides.
        req: async () => {
          const dev = await generateDevice(b);
          const l = await principalLink(
            b,
            alice.state,
            alice.device,
            { type: 'add-device', sigPk: dev.sigPk, kemPk: dev.kemPk },
            { second: dev.sigSeed },
          );
          return {
            path: `/v1/principals/${alice.id}/links`,
            body: { links: [toBase64url(l.bytes)] },
          };
        },
        ok: 200,
        onOk: async () => {
          const r = await alice.request<{ links: string[] }>(
            'GET',
            `/v1/principals/${alice.id}/links?since=${alice.state.seq + 1}`,
          );
          for (const l of r.body.links) await alice.state.apply(b, Buffer.from(l, 'base64url'));
        },
        other: { status: 403, code: 'HUSH_ERR_FORBIDDEN' },
      },
      [routeKey('POST', '/v1/teams')]: {
        req: async (as) => {
          const devices = as.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk }));
          const { link, keyBoxes } = await createTeam(b, {
            author: as.state.id,
            device: as.device,
            name: 'matrix',
            devices,
          });
          return {
            path: '/v1/teams',
            body: { links: [toBase64url(link.bytes)], keyBoxes: keyBoxes.map(toBase64url) },
          };
        },
        ok: 201,
      },
      [routeKey('GET', '/v1/teams')]: { req: async () => ({ path: '/v1/teams' }), ok: 200 },
      [routeKey('GET', '/v1/teams/:id/links')]: {
        req: async () => ({ path: `/v1/teams/${T()}/links?since=0` }),
        ok: 200,
      },
      [routeKey('POST', '/v1/teams/:id/links')]: {
        req: async (as) => {
          const l = await team.link(as, { type: 'rename', nameCt: new Uint8Array(40) });
          return { path: `/v1/teams/${T()}/links`, body: { links: [toBase64url(l.bytes)] } };
        },
        ok: 200,
        onOk: async () => {
          const links = await team.chainBytes(alice);
          for (const l of links.slice(team.state.seq + 1))
            await team.state.apply(b, l, team.resolve);
        },
      },
      [routeKey('GET', '/v1/teams/:id/keyboxes')]: {
        req: async () => ({ path: `/v1/teams/${T()}/keyboxes` }),
        ok: 200,
      },
      [routeKey('GET', '/v1/teams/:id/keyboxes/recipients')]: {
        req: async () => ({ path: `/v1/teams/${T()}/keyboxes/recipients?generation=1` }),
        ok: 200,
      },
      [routeKey('POST', '/v1/teams/:id/invite-preview')]: {
        req: async () => {
          const inv = fixture.invite as NonNullable<typeof fixture.invite>;
          const nonce = b.randomBytes(32);
          const host = new URL(server.url).host;
          const msg = invitePreviewMessage(nonce, team.state.id, inv.inviteId, host);
          return {
            path: `/v1/teams/${T()}/invite-preview`,
            body: {
              inviteId: toBase64url(inv.inviteId),
              nonce: toBase64url(nonce),
              signature: toBase64url(await b.ed25519Sign(inv.sigSeed, msg)),
            },
          };
        },
        ok: 200,
        // The invitee is not a member by definition: holding the invite key is what counts.
        other: { status: 200 },
      },
      [routeKey('PUT', '/v1/teams/:id/objects/:objectId/versions/:version')]: {
        req: async (as) => {
          const m = await seal(as);
          return {
            path: `/v1/teams/${T()}/objects/${m.objectId}/versions/1`,
            body: { envelope: m.envelope },
          };
        },
        ok: 201,
      },
      [routeKey('GET', '/v1/teams/:id/objects')]: {
        req: async () => ({ path: `/v1/teams/${T()}/objects?since=0&limit=10` }),
        ok: 200,
      },
      [routeKey('GET', '/v1/teams/:id/objects/:objectId')]: {
        req: async () => ({ path: `/v1/teams/${T()}/objects/${fixture.objectId}?version=1` }),
        ok: 200,
      },
      [routeKey('GET', '/v1/teams/:id/objects/:objectId/versions')]: {
        req: async () => ({ path: `/v1/teams/${T()}/objects/${fixture.objectId}/versions` }),
        ok: 200,
      },
      [routeKey('GET', '/v1/teams/:id/kv/:blindIndex')]: {
        req: async () => ({ path: `/v1/teams/${T()}/kv/${fixture.blindIndex}` }),
        ok: 200,
      },
      [routeKey('POST', '/v1/inbox')]: {
        req: async (as) => ({ path: '/v1/inbox', body: { envelope: await direct(as, bob) } }),
        ok: 201,
      },
      [routeKey('GET', '/v1/inbox')]: {
        req: async () => ({ path: '/v1/inbox?since=0&unacked=1' }),
        ok: 200,
      },
      [routeKey('POST', '/v1/inbox/ack')]: {
        req: async () => ({ path: '/v1/inbox/ack', body: { objectIds: [fixture.inboxId] } }),
        ok: 200,
      },
      [routeKey('POST', '/v1/teams/:teamId/blobs')]: {
        req: async () => ({ path: `/v1/teams/${T()}/blobs`, body: { blobId: fixture.blob } }),
        ok: 201,
      },
      [routeKey('POST', '/v1/blobs')]: {
        // A fresh id every call: the direct blob is the caller's own, readable by bob.
        req: async () => ({
          path: '/v1/blobs',
          body: { blobId: toBase64url(b.randomBytes(16)), readers: [bob.id] },
        }),
        ok: 201,
      },
      [routeKey('PUT', '/v1/blobs/:blobId/chunks/:n')]: {
        req: async (as) => ({
          path: `/v1/blobs/${blobFor(as)}/chunks/${as === carol ? 1 : 0}`,
          raw: new Uint8Array(64).fill(1),
        }),
        ok: 201,
      },
      [routeKey('GET', '/v1/blobs/:blobId/status')]: {
        req: async (as) => ({ path: `/v1/blobs/${blobFor(as)}/status` }),
        ok: 200,
      },
      [routeKey('POST', '/v1/blobs/:blobId/complete')]: {
        req: async (as) => ({
          path: `/v1/blobs/${blobFor(as)}/complete`,
          body: as === carol ? { chunkCount: 1, totalSize: 100 } : { chunkCount: 1, totalSize: 64 },
        }),
        ok: 200,
      },
      [routeKey('GET', '/v1/blobs/:blobId')]: {
        req: async (as) => ({ path: `/v1/blobs/${blobFor(as)}` }),
        ok: 200,
      },
      [routeKey('HEAD', '/v1/blobs/:blobId')]: {
        req: async (as) => ({ path: `/v1/blobs/${blobFor(as)}` }),
        ok: 200,
      },
      [routeKey('DELETE', '/v1/blobs/:blobId')]: {
        req: async (as) => ({ path: `/v1/blobs/${blobFor(as)}` }),
        ok: 200,
      },
      [routeKey('GET', '/v1/events')]: { req: async () => ({ path: '/v1/events' }), ok: 200 },
    };

    it('has a matrix row for every route that takes a token, and none for public routes', () => {
      const token = ROUTES.filter((r) => r.access === 'token').map((r) =>
        routeKey(r.method, r.path),
      );
      assert.deepEqual(Object.keys(MATRIX).sort(), token.sort());
    });

    for (const row of ROUTES.filter((r) => r.access === 'token')) {
      it(`${row.method} ${row.path}`, async () => {
        const m = MATRIX[routeKey(row.method, row.path)] as MatrixRow;
        const call = async (as: Actor, token: string | undefined) =>
          send(server, row.method, token, await m.req(as));

        expectError(row, await call(alice, undefined), 401, 'HUSH_ERR_UNAUTHENTICATED', 'no token');
        expectError(
          row,
          await call(expired, expired.accessToken),
          401,
          'HUSH_ERR_UNAUTHENTICATED',
          'expired token',
        );
        expectError(
          row,
          await call(alice, 'hat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
          401,
          'HUSH_ERR_UNAUTHENTICATED',
          'unknown token',
        );
        expectError(
          row,
          await call(laptop, laptop.accessToken),
          403,
          'HUSH_ERR_DEVICE_REVOKED',
          'revoked device',
        );
        // A malformed team id: the token is checked first (401), then the id (400).
        const sample = await m.req(alice);
        if (/^\/v1\/teams\/[^/?]+/.test(sample.path)) {
          const bad = {
            ...sample,
            path: sample.path.replace(/^\/v1\/teams\/[^/?]+/, '/v1/teams/AAAA'),
          };
          const noToken = await send(server, row.method, undefined, bad);
          expectError(row, noToken, 401, 'HUSH_ERR_UNAUTHENTICATED', 'malformed team id, no token');
          const withToken = await send(server, row.method, alice.accessToken, bad);
          expectError(row, withToken, 400, 'HUSH_ERR_BAD_REQUEST', 'malformed team id');
        }
        if (row.scope !== 'none') {
          const other = m.other ?? { status: 404, code: 'HUSH_ERR_NOT_FOUND' };
          const r = await call(dave, dave.accessToken);
          if (other.code) expectError(row, r, other.status, other.code, 'member of another team');
          else expectOk(row, r, other.status, 'non-member invitee');
        }
        if (row.scope === 'team' || row.scope === 'blob') {
          const r = await call(carol, carol.accessToken);
          if (row.readerWrite) expectError(row, r, 403, 'HUSH_ERR_FORBIDDEN', 'reader writing');
          else expectOk(row, r, 200, 'reader reading');
        }
        const r = await call(alice, alice.accessToken);
        expectOk(row, r, m.ok, 'authorized');
        await m.onOk?.(r);
      });
    }

    it('serves every public route without a token', async () => {
      const pub = (method: string, path: string, body?: unknown) =>
        send(server, method, undefined, { path, ...(body !== undefined ? { body } : {}) });
      const row = (method: string, path: string) =>
        ROUTES.find((r) => r.method === method && r.path === path) as RouteRow;
      const checked = new Set<string>();
      const check = async (method: string, path: string, r: Promise<RawReply>, status = 200) => {
        const rr = row(method, path);
        assert.equal(rr.access, 'public', `${method} ${path} is public in the table`);
        expectOk(rr, await r, status, 'no token');
        checked.add(routeKey(method, path));
      };

      const fresh = await TestClient.create(server.url, { register: false });
      const reg = { links: fresh.links.map(toBase64url) };
      await check('POST', '/v1/principals', pub('POST', '/v1/principals', reg), 201);
      await check('GET', '/v1/principals/:id', pub('GET', `/v1/principals/${fresh.id}`));
      await check(
        'GET',
        '/v1/principals/:id/links',
        pub('GET', `/v1/principals/${fresh.id}/links`),
      );
      const challenge = pub('POST', '/v1/auth/challenge', { deviceId: fresh.deviceId });
      await check('POST', '/v1/auth/challenge', challenge);
      // The whole sign-in (challenge, then token) without a token:
      assert.equal((await fresh.signIn()).status, 200);
      checked.add(routeKey('POST', '/v1/auth/token'));
      const refresh = pub('POST', '/v1/auth/refresh', { refreshToken: fresh.refreshToken });
      await check('POST', '/v1/auth/refresh', refresh);
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
        await check('GET', path, pub('GET', path));
      const publicRoutes = ROUTES.filter((r) => r.access === 'public').map((r) =>
        routeKey(r.method, r.path),
      );
      assert.deepEqual([...checked].sort(), publicRoutes.sort());

      // The one token route with a public form: a device accepting a device invite.
      const inv = await inviteKeys(b, newInviteToken(b, 'device', fresh.state.id));
      const di = await principalLink(b, fresh.state, fresh.device, {
        type: 'device-invite',
        inviteSigPk: inv.sigPk,
        expires: Date.now() + 600_000,
      });
      await ok(fresh, 'POST', `/v1/principals/${fresh.id}/links`, {
        links: [toBase64url(di.bytes)],
      });
      await fresh.state.apply(b, di.bytes);
      const phone = await generateDevice(b);
      const accept = await principalLink(
        b,
        fresh.state,
        phone,
        {
          type: 'accept-device-invite',
          inviteId: inv.inviteId,
          sigPk: phone.sigPk,
          kemPk: phone.kemPk,
        },
        { second: inv.sigSeed },
      );
      const path = `/v1/principals/${fresh.id}/links`;
      const r = await pub('POST', path, { links: [toBase64url(accept.bytes)] });
      expectOk(row('POST', '/v1/principals/:id/links'), r, 200, 'accept-device-invite, no token');
      const filled = fill('/v1/principals/:id', { id: fresh.id });
      const info = JSON.parse((await pub('GET', filled)).body) as { devices: unknown[] };
      assert.equal(info.devices.length, 2);
    });
  });
}
