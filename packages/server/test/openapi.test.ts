import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeBackend } from '@hush/core/node';
import type { FastifyInstance } from 'fastify';
import '../src/plugins.js';
import { buildApp } from '../src/app.js';
import { parseConfig, type ServerConfig } from '../src/config.js';
import type { Context } from '../src/context.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { ERRORS } from '../src/errors.js';
import { openApiDocument } from '../src/openapi.js';
import { LocalBus } from '../src/push/local-bus.js';
import { ChainStore } from '../src/store/chains.js';
import { operationOf, ROUTES, routeKey, schemaErrors } from './routes.js';

type Obj = Record<string, unknown>;
const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options', 'trace'];

/**
 * The routes the app registered, from Fastify's route tree (`printRoutes` with full
 * segments): one `METHOD /path/{}` per route and method, parameter names erased.
 */
function registeredRoutes(app: FastifyInstance): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*?)([├└]── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = ((m[1] as string).length + 4) / 4 - 1;
    stack.length = depth;
    stack.push(m[3] as string);
    for (const method of (m[4] ?? '').split(',').filter(Boolean))
      out.add(routeKey(method.trim(), stack.join('')));
  }
  return out;
}

function documented(doc: Obj): Set<string> {
  const out = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths as Record<string, Obj>))
    for (const m of Object.keys(ops)) if (METHODS.includes(m)) out.add(routeKey(m, p));
  return out;
}

function refs(v: unknown, found: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, found);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') found.push(x);
      else refs(x, found);
    }
  return found;
}

function operations(doc: Obj): [string, string, Obj][] {
  return Object.entries(doc.paths as Record<string, Record<string, Obj>>).flatMap(([p, ops]) =>
    Object.entries(ops).map(([m, o]) => [p, m, o] as [string, string, Obj]),
  );
}

describe('OpenAPI document', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-openapi-'));
  let store: Db;
  let app: FastifyInstance;
  const doc = openApiDocument();

  before(async () => {
    const config = parseConfig(['--data-dir', dir, '--log-level', 'silent'], {}) as ServerConfig;
    store = await openDatabase(config);
    const ctx: Context = {
      config,
      store,
      chains: new ChainStore(store.db, nodeBackend),
      b: nodeBackend,
      bus: new LocalBus(),
    };
    app = buildApp(ctx);
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is served at GET /openapi.json without a token, as OpenAPI 3.1 JSON', async () => {
    const r = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const served = JSON.parse(r.body) as Obj;
    assert.match(String(served.openapi), /^3\.1\.\d+$/);
    assert.deepEqual(served, JSON.parse(JSON.stringify(doc)));
    const info = served.info as Obj;
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
  });

  it('documents exactly the registered routes, and the route table agrees', () => {
    const registered = registeredRoutes(app);
    assert.ok(registered.size > 20, 'the route tree was parsed');
    // Fastify adds a HEAD twin to every GET route; only the blob download's HEAD is its
    // own documented operation.
    const headTwins = [...registered].filter(
      (k) => k.startsWith('HEAD ') && registered.has(k.replace(/^HEAD/, 'GET')),
    );
    const inDoc = documented(doc);
    const served = new Set([...registered].filter((k) => !headTwins.includes(k) || inDoc.has(k)));
    assert.deepEqual([...inDoc].filter((k) => !served.has(k)).sort(), [], 'documented, not served');
    assert.deepEqual([...served].filter((k) => !inDoc.has(k)).sort(), [], 'served, not documented');
    const table = new Set(ROUTES.map((r) => routeKey(r.method, r.path)));
    assert.deepEqual([...table].sort(), [...served].sort(), 'test/routes.ts lists every route');
    for (const r of ROUTES) assert.ok(app.hasRoute({ method: r.method, url: r.path }), r.path);
  });

  it('marks token routes with the bearer scheme and public routes with none', () => {
    const schemes = (doc.components as Obj).securitySchemes as Obj;
    assert.deepEqual(schemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'hat_<base64url>',
      description: 'access token from POST /v1/auth/token or /v1/auth/refresh (15 minutes)',
    });
    for (const r of ROUTES) {
      const o = operationOf(doc, r.method, r.path) as Obj;
      const security = o.security as Obj[];
      const codes = o['x-hush-error-codes'] as string[];
      if (r.access === 'public') {
        assert.deepEqual(security, [], `${r.method} ${r.path} is public`);
        assert.ok(!codes.includes('HUSH_ERR_DEVICE_REVOKED') || r.path.startsWith('/v1/auth/'));
      } else {
        assert.ok(
          security.some((s) => 'bearer' in s),
          `${r.method} ${r.path} takes a bearer token`,
        );
        for (const c of ['HUSH_ERR_UNAUTHENTICATED', 'HUSH_ERR_DEVICE_REVOKED'])
          assert.ok(codes.includes(c), `${r.method} ${r.path} lists ${c}`);
        if (r.scope === 'team' || r.scope === 'blob')
          assert.ok(codes.includes('HUSH_ERR_NOT_FOUND'), `${r.method} ${r.path} lists NOT_FOUND`);
        if (r.readerWrite)
          assert.ok(codes.includes('HUSH_ERR_FORBIDDEN'), `${r.method} ${r.path} lists FORBIDDEN`);
      }
    }
  });

  it('is well formed: unique operation ids, declared path parameters, resolvable refs, registry codes', () => {
    const schemas = (doc.components as Obj).schemas as Obj;
    for (const ref of refs(doc)) {
      assert.match(ref, /^#\/components\/schemas\//);
      assert.ok(ref.replace('#/components/schemas/', '') in schemas, ref);
    }
    const ids = operations(doc).map(([, , o]) => o.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
    const used = new Set<string>();
    for (const [path, method, o] of operations(doc)) {
      const where = `${method} ${path}`;
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const params = ((o.parameters as Obj[] | undefined) ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(params.map((p) => p.name).sort(), names.sort(), where);
      for (const p of params) assert.equal(p.required, true, `${where} ${String(p.name)}`);
      if (method === 'post' || method === 'put')
        assert.ok(o.requestBody, `${where} documents its request body`);
      else assert.equal(o.requestBody, undefined, `${where} takes no body`);
      const responses = o.responses as Record<string, Obj>;
      assert.ok(
        Object.keys(responses).some((s) => s.startsWith('2')),
        `${where} has a success`,
      );
      for (const code of o['x-hush-error-codes'] as (keyof typeof ERRORS)[]) {
        assert.ok(code in ERRORS, `${where}: ${code} is a registry code`);
        used.add(code);
        const resp = responses[String(ERRORS[code].status)] as Obj;
        assert.ok((resp['x-hush-error-codes'] as string[]).includes(code), `${where} ${code}`);
      }
      for (const [status, resp] of Object.entries(responses)) {
        assert.match(status, /^[1-5]\d\d$/);
        assert.equal(typeof resp.description, 'string', `${where} ${status} has a description`);
      }
    }
    const unused = Object.keys(ERRORS).filter((c) => !used.has(c));
    assert.deepEqual(unused, ['HUSH_ERR_INTERNAL'], 'every other code is some route answer');
  });

  it('describes the error body and canonical ids precisely', () => {
    const schemas = (doc.components as Obj).schemas as Record<string, Obj>;
    const err = { error: { code: 'HUSH_ERR_CONFLICT', message: 'x', currentVersion: 2 } };
    assert.deepEqual(schemaErrors(doc, schemas.Error as Obj, err), []);
    assert.notDeepEqual(schemaErrors(doc, schemas.Error as Obj, { error: { code: 'NOPE' } }), []);
    const id32 = Buffer.alloc(32, 0xff).toString('base64url');
    const id16 = Buffer.alloc(16, 0xff).toString('base64url');
    assert.deepEqual(schemaErrors(doc, schemas.Id32 as Obj, id32), []);
    assert.deepEqual(schemaErrors(doc, schemas.Id16 as Obj, id16), []);
    // The same length with non-zero unused bits is not canonical.
    assert.notDeepEqual(schemaErrors(doc, schemas.Id32 as Obj, `${id32.slice(0, -1)}_`), []);
    assert.notDeepEqual(schemaErrors(doc, schemas.Id16 as Obj, `${id16.slice(0, -1)}B`), []);
    const sig = Buffer.alloc(64, 7).toString('base64url');
    assert.deepEqual(schemaErrors(doc, schemas.Signature as Obj, sig), []);
  });
});
