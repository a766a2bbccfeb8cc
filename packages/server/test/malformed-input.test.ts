/**
 * Malformed input: a property test throws random and mutated bodies, headers, content types,
 * methods and paths at every route, with and without a valid token. Long binary fields
 * (links, envelopes, key boxes) are also damaged below the base64url layer, so the binary
 * parsers behind each route see inserted, deleted, overwritten and cut bytes. The server
 * never answers 5xx, every error is a registry-coded JSON body with the registry status, the
 * process stays up, and nothing in the database (or the blob directory) changes.
 *
 * Each route starts from a seed request that is valid but changes nothing (an idempotent
 * replay, a stale chain append, an already acknowledged id); mutations can only make it
 * invalid or leave it a no-op. The one exception is creating an upload, where any JSON object
 * without `blobId` is a well-formed request: there the owner's token only ever comes with a
 * `blobId` that is malformed, or a body that is not a JSON object (a JSON `null` has its own
 * test below).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  blindIndex,
  COLLECTION,
  fromBase64url,
  indexKey,
  ROLE,
  sealDirectEnvelope,
  sealTeamEnvelope,
  toBase64url,
  utf8,
  type TeamKey,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import fc from 'fast-check';
import { ERRORS } from '../src/errors.js';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { DbPeek, errorCode, rawRequest, ROUTES, routeKey } from './routes.js';
import { TestTeam } from './teams-fixture.js';

const RUNS = Number(process.env.HUSH_FUZZ_RUNS ?? 250);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A valid, state-preserving request for one route. */
interface Seed {
  method: string;
  route: string;
  path: string;
  body?: unknown;
  raw?: Uint8Array;
  /** The owner's token may only come with bodies that are certainly malformed. */
  ownerNeedsBadBody?: boolean;
  /** The owner's token goes to this path instead (the seed path would be a real write). */
  ownerPath?: string;
}

type Token = 'none' | 'owner' | 'reader' | 'bogus';

interface Fuzz {
  seed: Seed;
  token: Token;
  bogus: string;
  method?: string;
  path: string;
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; bytes: Uint8Array } | { kind: 'none' };
  contentType?: string;
  headers: Record<string, string>;
}

// --- arbitraries --------------------------------------------------------------------------

const b64 = (max: number) => fc.string({ unit: fc.constantFrom(...B64.split('')), maxLength: max });
const wrongLengthId = fc
  .integer({ min: 0, max: 64 })
  .filter((n) => n !== 16 && n !== 32)
  .map((n) => toBase64url(new Uint8Array(n).fill(n)));
const nonCanonical = fc
  .constantFrom(16, 32)
  .map((n) => `${toBase64url(new Uint8Array(n).fill(9)).slice(0, -1)}_`);
const weirdSegment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '%00',
    '%',
    '%E0%A4%A',
    '%ZZ',
    '',
    'null',
    '0',
    '-1',
    '1e3',
    '9'.repeat(30),
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..%2F..%2F',
    '%F0%9F%92%A9',
    '%C0%AF',
  ),
  b64(60),
  wrongLengthId,
  nonCanonical,
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 300, max: 6000 }).map((n) => 'A'.repeat(n)),
);
const weirdQuery = fc.constantFrom(
  '?since=-1',
  '?since=1e3',
  '?since=99999999999999999999',
  '?since=1&since=2',
  '?limit=0',
  '?limit=100000',
  '?version=0',
  '?version=abc',
  '?unacked=maybe',
  '?since=%00',
  '?since=',
  '?%',
  '?a[b]=c',
  '?__proto__[x]=1',
);

function mutatePath(path: string) {
  const [p, q] = path.split('?') as [string, string | undefined];
  const segs = p.split('/');
  return fc.oneof(
    fc
      .tuple(fc.integer({ min: 1, max: Math.max(1, segs.length - 1) }), weirdSegment)
      .map(([i, s]) => {
        const copy = [...segs];
        copy[i] = s;
        return copy.join('/') + (q ? `?${q}` : '');
      }),
    weirdQuery.map((wq) => p + wq),
    fc.constantFrom(`${p}/`, `${p}//x`, `/${p}`, `${p}/..`, `${p}%2F..`, p.toUpperCase()),
  );
}

const mutateString = (s: string) =>
  fc.oneof(
    fc.constant(s.slice(0, -1)),
    fc.constant(`${s}A`),
    fc.constant(`${s.slice(0, -1)}_`),
    fc.constant(`${s}==`),
    fc.constant(`${s.slice(0, 3)}+/${s.slice(5)}`),
    fc.constant(` ${s}`),
    fc.constant(''),
    // Flipping a character keeps base64url valid: only for long values (links, envelopes),
    // whose signature then fails; an id would become another valid id.
    ...(s.length > 100
      ? [
          fc
            .integer({ min: 0, max: s.length - 2 })
            .map((i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)),
          decodedMutation(s),
        ]
      : []),
  );

/**
 * Canonical base64url of the decoded bytes with a byte inserted, deleted, overwritten, or
 * the tail cut off: the text stays valid, so the damage reaches the binary parsers behind
 * it (link, header and key box layouts and their length prefixes), not the base64 check.
 */
function decodedMutation(s: string): fc.Arbitrary<string> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(s);
  } catch {
    return fc.constant(s);
  }
  return fc
    .record({
      op: fc.constantFrom('insert', 'delete', 'set', 'cut'),
      at: fc.nat(bytes.length - 1),
      value: fc.oneof(fc.nat(255), fc.constantFrom(0, 0xff)),
    })
    .map(({ op, at, value }) => {
      const x = Array.from(bytes);
      if (op === 'insert') x.splice(at, 0, value);
      if (op === 'delete') x.splice(at, 1);
      if (op === 'set') x[at] = value === x[at] ? value ^ 1 : value;
      if (op === 'cut') x.length = at;
      return toBase64url(Uint8Array.from(x));
    });
}

const huge = fc.constantFrom(100_000, 600_000, 1_200_000).map((n) => 'A'.repeat(n));
const wrongType = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 60, [], {}, [null], { $ref: 'x' }),
);

function mutateValue(v: unknown): fc.Arbitrary<unknown> {
  if (typeof v === 'string') return fc.oneof(mutateString(v), wrongType, huge);
  if (Array.isArray(v))
    return fc.oneof(
      fc.constant([]),
      fc.constant([...v, ...v]),
      fc.constant(Array(2000).fill(v[0] ?? 'A')),
      v.length > 0 ? mutateValue(v[0]).map((x) => [x, ...v.slice(1)]) : wrongType,
      wrongType,
    );
  return wrongType;
}

function mutateBody(seed: unknown, safeOnly: boolean): fc.Arbitrary<unknown> {
  if (seed === null || typeof seed !== 'object' || Array.isArray(seed)) return wrongType;
  const obj = seed as Record<string, unknown>;
  const keys = Object.keys(obj);
  const field = fc
    .constantFrom(...keys)
    .chain((k) => mutateValue(obj[k]).map((v) => ({ ...obj, [k]: v })));
  if (safeOnly) return field;
  return fc.oneof(
    field,
    fc
      .constantFrom(...keys)
      .map((k) => Object.fromEntries(keys.filter((x) => x !== k).map((x) => [x, obj[x]]))),
    // Own `__proto__` / `constructor` keys, as a hostile JSON text would carry them.
    fc.constant({
      ...obj,
      ...(JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{}}}') as object),
    }),
    fc.jsonValue({ maxDepth: 4 }),
    fc.constant(seed),
  );
}

const deep = fc
  .tuple(fc.integer({ min: 100, max: 100_000 }), fc.boolean())
  .map(([n, arr]) =>
    Buffer.from(arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  );
const deepArray = fc
  .integer({ min: 100, max: 100_000 })
  .map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n)));
const invalidUtf8 = fc
  .uint8Array({ minLength: 1, maxLength: 200 })
  .map((u) => Buffer.concat([Buffer.from('{"envelope":"'), Buffer.from([0xff, 0xfe, 0xc0]), u]));

function bodyArb(seed: Seed, badOnly: boolean): fc.Arbitrary<Fuzz['body']> {
  const json = (a: fc.Arbitrary<unknown>) => a.map((value) => ({ kind: 'json' as const, value }));
  const raw = (a: fc.Arbitrary<Uint8Array>) => a.map((bytes) => ({ kind: 'raw' as const, bytes }));
  if (badOnly) {
    // Create-upload with the owner's token: blobId is present and malformed, or the body
    // is not a JSON object at all.
    const badId = fc.oneof(
      mutateString(String((seed.body as { blobId: string }).blobId)),
      wrongType,
    );
    return fc.oneof(
      json(
        badId
          .filter((v) => typeof v !== 'string' || v.length !== 22 || /[^AQgw]$/.test(v))
          .map((blobId) => ({ blobId })),
      ),
      json(fc.oneof(fc.constant([]), fc.string(), fc.integer(), fc.boolean())),
      raw(fc.oneof(deepArray, invalidUtf8)),
    );
  }
  const options: fc.Arbitrary<Fuzz['body']>[] = [
    fc.constant({ kind: 'none' as const }),
    raw(fc.oneof(deep, invalidUtf8, fc.uint8Array({ maxLength: 3000 }))),
  ];
  if (seed.body !== undefined) options.push(json(mutateBody(seed.body, false)));
  else options.push(json(fc.jsonValue({ maxDepth: 3 })));
  if (seed.raw) options.push(fc.constant({ kind: 'raw' as const, bytes: seed.raw }));
  return fc.oneof(...options);
}

const bogusAuth = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Bearer hat_',
    'bearer hat_x',
    'Basic dXNlcjpwYXNz',
    'Token x',
    'Bearer \t',
  ),
  b64(80).map((s) => `Bearer hat_${s}`),
  b64(80).map((s) => `Bearer hrt_${s}`),
  fc
    .string({
      unit: fc.constantFrom(...' !#$%&*+-.^_|~0123456789abcXYZ'.split('')),
      maxLength: 200,
    })
    .map((s) => `Bearer ${s}`),
  fc.constant(`Bearer ${'A'.repeat(6000)}`),
);
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  '*/*',
  'json',
);
const headerValue = fc.string({
  unit: fc.constantFrom(...'abcXYZ0189 -=,;:/*_.'.split('')),
  maxLength: 80,
});
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'range',
    'last-event-id',
    'x-hush-operator-token',
    'x-forwarded-for',
    'if-none-match',
    'accept',
    'accept-encoding',
    'origin',
  ),
  fc.oneof(
    headerValue,
    fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=5-1', '99999999999999999', '-1', '1.5'),
  ),
  { maxKeys: 3 },
);

function fuzzArb(seeds: Seed[]): fc.Arbitrary<Fuzz> {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      token: fc.constantFrom<Token>('none', 'owner', 'owner', 'reader', 'bogus'),
      bogus: bogusAuth,
      method: fc.option(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        {
          nil: undefined,
          freq: 8,
        },
      ),
      mutatePath: fc.boolean(),
      contentType: fc.option(contentTypes, { nil: undefined, freq: 3 }),
      headers: extraHeaders,
    })
    .chain((r) => {
      const owner = r.token === 'owner';
      const base = owner && r.seed.ownerPath ? r.seed.ownerPath : r.seed.path;
      const path = r.mutatePath ? mutatePath(base) : fc.constant(base);
      const body = bodyArb(r.seed, owner && r.seed.ownerNeedsBadBody === true);
      return fc.record({ path, body }).map(({ path: p, body: bd }) => {
        // A different method on the owner's path could be a real write (DELETE of the blob).
        const method = owner ? undefined : r.method;
        return {
          seed: r.seed,
          token: r.token,
          bogus: r.bogus,
          ...(method ? { method } : {}),
          path: p,
          body: bd,
          ...(r.contentType ? { contentType: r.contentType } : {}),
          headers: r.headers,
        };
      });
    });
}

// --- state ---------------------------------------------------------------------------------

const COUNTED = [
  'principals',
  'principal_links',
  'devices',
  'teams',
  'team_links',
  'team_members',
  'key_boxes',
  'objects',
  'direct_objects',
  'inbox',
  'inbox_state',
  'blobs',
  'blob_chunks',
  'blob_readers',
  'principal_usage',
  'events',
  'tokens',
];

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
  } catch {
    return [];
  }
}

async function snapshot(storage: Storage): Promise<Record<string, unknown>> {
  const db = await DbPeek.open(storage);
  try {
    const out: Record<string, unknown> = {};
    for (const t of COUNTED)
      out[t] = Number((await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${t}`))[0]?.n);
    out.teamHeads = (
      await db.query('SELECT id, head_seq, object_seq, bytes_used FROM teams ORDER BY id')
    ).map((r) => Object.values(r).map(String).join(':'));
    out.principalHeads = (await db.query('SELECT id, head_seq FROM principals ORDER BY id')).map(
      (r) => Object.values(r).map(String).join(':'),
    );
    out.acked = Number(
      (
        await db.query<{ n: unknown }>('SELECT count(*) AS n FROM inbox WHERE acked_at IS NOT NULL')
      )[0]?.n,
    );
    out.revoked = Number(
      (
        await db.query<{ n: unknown }>(
          'SELECT count(*) AS n FROM devices WHERE revoked_at IS NOT NULL',
        )
      )[0]?.n,
    );
    out.complete = Number(
      (await db.query<{ n: unknown }>('SELECT count(*) AS n FROM blobs WHERE complete = 1'))[0]?.n,
    );
    out.blobFiles = files(join(storage.dataDir, 'blobs'));
    return out;
  } finally {
    await db.close();
  }
}

// --- the suite -----------------------------------------------------------------------------

for (const kind of await dialects()) {
  describe(`malformed input (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    let alice: TestClient;
    let carol: TestClient;
    let team: TestTeam;
    const seeds: Seed[] = [];

    before(async () => {
      server = await spawnServer(storage, ['--rate-limit', '100000']);
      alice = await TestClient.create(server.url);
      carol = await TestClient.create(server.url);
      team = await TestTeam.create(alice);
      assert.equal((await team.add(alice, carol, ROLE.reader)).status, 200);
      const T = team.id;
      const ok = async (method: string, path: string, body?: unknown, raw?: Uint8Array) => {
        const r = await alice.request(method, path, body, raw ? { raw } : {});
        assert.ok(r.status < 300, `${method} ${path}: ${JSON.stringify(r.body)}`);
        return r.body;
      };

      const gen = team.state.current.generation;
      const objectId = b.randomBytes(16);
      const ik = await indexKey(b, team.keys[0] as TeamKey, team.state.id, 'kv');
      const bi = await blindIndex(b, ik, 'env', 'FUZZ');
      const { envelope } = await sealTeamEnvelope(b, {
        teamId: team.state.id,
        generation: gen,
        chainSeq: team.state.seq,
        key: team.keys[gen - 1] as TeamKey,
        author: alice.state.id,
        device: alice.device,
        collection: COLLECTION.kv,
        body: utf8('value'),
        objectId,
        objectVersion: 1,
        blindIndex: bi,
      });
      const O = toBase64url(objectId);
      const put = { envelope: toBase64url(envelope) };
      await ok('PUT', `/v1/teams/${T}/objects/${O}/versions/1`, put);
      const devices = [alice, carol].flatMap((c) =>
        c.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })),
      );
      const direct = await sealDirectEnvelope(b, {
        recipients: [carol.state.id],
        devices,
        author: alice.state.id,
        device: alice.device,
        collection: COLLECTION.message,
        body: utf8('hi'),
      });
      const send = { envelope: toBase64url(direct.envelope) };
      const sent = await ok('POST', '/v1/inbox', send);
      const ack = { objectIds: [sent.objectId as string] };
      await ok('POST', '/v1/inbox/ack', ack);
      // Acknowledgement is per principal: the reader's entry too, or its token could ack it.
      assert.equal((await carol.request('POST', '/v1/inbox/ack', ack)).status, 200);
      const blob = toBase64url(b.randomBytes(16));
      const chunk = new Uint8Array(300).fill(3);
      await ok('POST', `/v1/teams/${T}/blobs`, { blobId: blob });
      await ok('PUT', `/v1/blobs/${blob}/chunks/0`, undefined, chunk);
      const complete = { chunkCount: 1, totalSize: chunk.length };
      await ok('POST', `/v1/blobs/${blob}/complete`, complete);
      // A direct blob readable by the reader: creating it again is an idempotent no-op.
      const directBlob = { blobId: toBase64url(b.randomBytes(16)), readers: [carol.id] };
      await ok('POST', '/v1/blobs', directBlob);
      const teamLinks = (await ok('GET', `/v1/teams/${T}/links`)).links as string[];
      const boxes = (await ok('GET', `/v1/teams/${T}/keyboxes`)).keyBoxes as { box: string }[];
      const genesis = toBase64url(alice.links[0] as Uint8Array);
      const rnd = (n: number) => toBase64url(b.randomBytes(n));

      const all: Omit<Seed, 'route'>[] = [
        { method: 'POST', path: '/v1/auth/challenge', body: { deviceId: alice.deviceId } },
        {
          method: 'POST',
          path: '/v1/auth/token',
          body: { deviceId: alice.deviceId, nonce: rnd(32), signature: rnd(64) },
        },
        { method: 'POST', path: '/v1/auth/refresh', body: { refreshToken: `hrt_${rnd(32)}` } },
        { method: 'POST', path: '/v1/principals', body: { links: [genesis] } },
        { method: 'GET', path: `/v1/principals/${alice.id}` },
        { method: 'GET', path: `/v1/principals/${alice.id}/links?since=0` },
        { method: 'POST', path: `/v1/principals/${alice.id}/links`, body: { links: [genesis] } },
        {
          method: 'POST',
          path: '/v1/teams',
          body: { links: [teamLinks[0]], keyBoxes: [boxes[0]?.box] },
        },
        { method: 'GET', path: '/v1/teams' },
        { method: 'GET', path: `/v1/teams/${T}/links?since=0` },
        {
          method: 'POST',
          path: `/v1/teams/${T}/links`,
          body: { links: [teamLinks[1]], keyBoxes: [] },
        },
        { method: 'GET', path: `/v1/teams/${T}/keyboxes` },
        { method: 'GET', path: `/v1/teams/${T}/keyboxes/recipients?generation=1` },
        {
          method: 'POST',
          path: `/v1/teams/${T}/invite-preview`,
          body: { inviteId: rnd(32), nonce: rnd(32), signature: rnd(64) },
        },
        { method: 'PUT', path: `/v1/teams/${T}/objects/${O}/versions/1`, body: put },
        { method: 'GET', path: `/v1/teams/${T}/objects?since=0&limit=10` },
        { method: 'GET', path: `/v1/teams/${T}/objects/${O}?version=1` },
        { method: 'GET', path: `/v1/teams/${T}/objects/${O}/versions?since=0&limit=5` },
        { method: 'GET', path: `/v1/teams/${T}/kv/${toBase64url(bi)}` },
        { method: 'POST', path: '/v1/inbox', body: send },
        { method: 'GET', path: '/v1/inbox?since=0&limit=5&unacked=1' },
        { method: 'POST', path: '/v1/inbox/ack', body: ack },
        {
          method: 'POST',
          path: `/v1/teams/${T}/blobs`,
          body: { blobId: blob },
          ownerNeedsBadBody: true,
        },
        // Its id is required and its readers are fixed, so a mutation (even with the owner's
        // token) is refused or is the same no-op.
        { method: 'POST', path: '/v1/blobs', body: directBlob },
        { method: 'PUT', path: `/v1/blobs/${blob}/chunks/0`, raw: chunk },
        { method: 'GET', path: `/v1/blobs/${blob}/status` },
        { method: 'POST', path: `/v1/blobs/${blob}/complete`, body: complete },
        { method: 'GET', path: `/v1/blobs/${blob}` },
        { method: 'HEAD', path: `/v1/blobs/${blob}` },
        { method: 'DELETE', path: `/v1/blobs/${blob}`, ownerPath: `/v1/blobs/${rnd(16)}` },
        { method: 'GET', path: '/v1/events' },
        { method: 'GET', path: '/healthz' },
        { method: 'GET', path: '/readyz' },
        { method: 'GET', path: '/metrics' },
        { method: 'GET', path: '/openapi.json' },
      ];
      for (const s of all) {
        const route = ROUTES.find(
          (r) =>
            r.method === s.method &&
            new RegExp(`^${r.path.replace(/:[^/]+/g, '[^/]+')}$`).test(
              s.path.split('?')[0] as string,
            ),
        );
        assert.ok(route, `${s.method} ${s.path} is in the route table`);
        seeds.push({ ...s, route: routeKey(route.method, route.path) });
      }
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('has a seed for every route', () => {
      assert.deepEqual(
        [...new Set(seeds.map((s) => s.route))].sort(),
        ROUTES.map((r) => routeKey(r.method, r.path)).sort(),
      );
    });

    it('never answers 5xx, always with a coded error, and changes nothing', async () => {
      // The seeds themselves change nothing (so the property below is about the mutations).
      const before0 = await snapshot(storage);
      const tokens: Record<Token, () => string | undefined> = {
        none: () => undefined,
        owner: () => alice.accessToken,
        reader: () => carol.accessToken,
        bogus: () => undefined,
      };
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(fuzzArb(seeds), async (f) => {
          const headers: Record<string, string> = { ...f.headers };
          const token = tokens[f.token]();
          if (token) headers.authorization = `Bearer ${token}`;
          if (f.token === 'bogus') headers.authorization = f.bogus;
          let body: Uint8Array | undefined;
          if (f.body.kind === 'json') {
            body = Buffer.from(JSON.stringify(f.body.value) ?? 'null');
            headers['content-type'] = 'application/json';
          } else if (f.body.kind === 'raw') {
            body = f.body.bytes;
            headers['content-type'] = f.seed.raw ? 'application/octet-stream' : 'application/json';
          }
          if (f.contentType !== undefined) headers['content-type'] = f.contentType;
          const method = f.method ?? f.seed.method;
          if (method === 'GET' || method === 'HEAD') body = undefined;
          const r = await rawRequest(server.url, method, f.path, headers, body);
          sent++;
          const what = `${method} ${f.path.slice(0, 200)} [${f.token}] -> ${r.status} ${r.body.slice(0, 300)}`;
          assert.ok(r.status < 500, what);
          if (r.status >= 400 && method !== 'HEAD') {
            const e = (JSON.parse(r.body) as { error?: { code?: string; message?: unknown } })
              .error;
            const code = e?.code as keyof typeof ERRORS;
            assert.ok(code in ERRORS, `a registry code: ${what}`);
            assert.equal(ERRORS[code].status, r.status, what);
            assert.equal(typeof e?.message, 'string', what);
          }
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      assert.ok(sent >= RUNS);
      console.log(`fuzz relay routes (${kind}): ${sent} requests, none answered 5xx`);
      assert.equal(server.proc.exitCode, null, 'the server is still running');
      assert.equal(server.proc.signalCode, null);
      const health = await rawRequest(server.url, 'GET', '/healthz', {});
      assert.equal(health.status, 200);
      assert.equal((await rawRequest(server.url, 'GET', '/readyz', {})).status, 200);
      const metrics = (await rawRequest(server.url, 'GET', '/metrics', {})).body;
      const internal = /^hush_internal_errors_total (\d+)/m.exec(metrics);
      assert.equal(Number(internal?.[1] ?? 0), 0, 'no internal error was counted');
      assert.deepEqual(await snapshot(storage), before0, 'nothing changed');
    });

    it('answers a malformed percent-escape or an over-long path parameter with a coded 400', async () => {
      const long = 'A'.repeat(150);
      for (const path of [
        '/v1/teams/%E0%A4%A/links',
        '/v1/blobs/%ZZ',
        '/%ZZ',
        `/v1/teams/${long}/links`,
        `/v1/blobs/${long}/status`,
      ]) {
        const r = await rawRequest(server.url, 'GET', path, {
          authorization: `Bearer ${alice.accessToken as string}`,
        });
        assert.equal(r.status, 400, `${path.slice(0, 40)}: ${r.body.slice(0, 120)}`);
        assert.deepEqual(JSON.parse(r.body), {
          error: { code: 'HUSH_ERR_BAD_REQUEST', message: ERRORS.HUSH_ERR_BAD_REQUEST.message },
        });
      }
    });

    it('refuses a JSON null body when creating an upload, creating nothing', async () => {
      const before1 = await snapshot(storage);
      const r = await rawRequest(
        server.url,
        'POST',
        `/v1/teams/${team.id}/blobs`,
        {
          authorization: `Bearer ${alice.accessToken as string}`,
          'content-type': 'application/json',
        },
        Buffer.from('null'),
      );
      assert.equal(r.status, 400, r.body);
      assert.equal(errorCode(r.body), 'HUSH_ERR_BAD_REQUEST');
      assert.deepEqual(await snapshot(storage), before1);
    });
  });
}
