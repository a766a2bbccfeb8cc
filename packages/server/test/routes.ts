/**
 * Shared by the cross-cutting suites (authz matrix, malformed input, OpenAPI): the table of
 * every route the server registers, written from the route files; a checker for the
 * OpenAPI document's JSON schemas; raw HTTP requests; and direct database access.
 */
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Storage } from './harness.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** One route as the route files register it. */
export interface RouteRow {
  readonly method: Method;
  /** Fastify syntax, as in the route file. */
  readonly path: string;
  /** `public`: no token; `token`: bearer token required (see `note` for exceptions). */
  readonly access: 'public' | 'token';
  /**
   * What gates it beyond the token: `team` / `blob`: membership of the team (a non-member
   * gets 404, existence not revealed), or for a direct blob being its uploader or a reader
   * (direct-blobs.test.ts); `principal`: the caller's own principal; `invite`: proof of an
   * invite key (no membership); `none`.
   */
  readonly scope: 'team' | 'blob' | 'principal' | 'invite' | 'none';
  /** A write a reader may not make: 403 HUSH_ERR_FORBIDDEN. */
  readonly readerWrite?: boolean;
  readonly note?: string;
}

/** Every route of the server, from src/routes/*.ts (HEAD twins of GET routes excluded). */
export const ROUTES: readonly RouteRow[] = [
  // auth.ts
  { method: 'POST', path: '/v1/auth/challenge', access: 'public', scope: 'none' },
  { method: 'POST', path: '/v1/auth/token', access: 'public', scope: 'none' },
  { method: 'POST', path: '/v1/auth/refresh', access: 'public', scope: 'none' },
  // principals.ts
  { method: 'POST', path: '/v1/principals', access: 'public', scope: 'none' },
  { method: 'GET', path: '/v1/principals/:id', access: 'public', scope: 'none' },
  { method: 'GET', path: '/v1/principals/:id/links', access: 'public', scope: 'none' },
  {
    method: 'POST',
    path: '/v1/principals/:id/links',
    access: 'token',
    scope: 'principal',
    note: 'a single accept-device-invite link needs no token (its invite signature authorizes it)',
  },
  // teams.ts
  { method: 'POST', path: '/v1/teams', access: 'token', scope: 'none' },
  { method: 'GET', path: '/v1/teams', access: 'token', scope: 'none' },
  { method: 'GET', path: '/v1/teams/:id/links', access: 'token', scope: 'team' },
  {
    method: 'POST',
    path: '/v1/teams/:id/links',
    access: 'token',
    scope: 'team',
    readerWrite: true,
    note: 'an accept-invite link is accepted from a non-member (the invitee)',
  },
  { method: 'GET', path: '/v1/teams/:id/keyboxes', access: 'token', scope: 'team' },
  {
    method: 'GET',
    path: '/v1/teams/:id/keyboxes/recipients',
    access: 'token',
    scope: 'team',
  },
  { method: 'POST', path: '/v1/teams/:id/invite-preview', access: 'token', scope: 'invite' },
  // objects.ts
  {
    method: 'PUT',
    path: '/v1/teams/:id/objects/:objectId/versions/:version',
    access: 'token',
    scope: 'team',
    readerWrite: true,
  },
  { method: 'GET', path: '/v1/teams/:id/objects', access: 'token', scope: 'team' },
  { method: 'GET', path: '/v1/teams/:id/objects/:objectId', access: 'token', scope: 'team' },
  {
    method: 'GET',
    path: '/v1/teams/:id/objects/:objectId/versions',
    access: 'token',
    scope: 'team',
  },
  { method: 'GET', path: '/v1/teams/:id/kv/:blindIndex', access: 'token', scope: 'team' },
  // inbox.ts
  { method: 'POST', path: '/v1/inbox', access: 'token', scope: 'none' },
  { method: 'GET', path: '/v1/inbox', access: 'token', scope: 'none' },
  { method: 'POST', path: '/v1/inbox/ack', access: 'token', scope: 'none' },
  // blobs.ts
  {
    method: 'POST',
    path: '/v1/teams/:teamId/blobs',
    access: 'token',
    scope: 'team',
    readerWrite: true,
  },
  { method: 'POST', path: '/v1/blobs', access: 'token', scope: 'none' },
  {
    method: 'PUT',
    path: '/v1/blobs/:blobId/chunks/:n',
    access: 'token',
    scope: 'blob',
    readerWrite: true,
  },
  { method: 'GET', path: '/v1/blobs/:blobId/status', access: 'token', scope: 'blob' },
  {
    method: 'POST',
    path: '/v1/blobs/:blobId/complete',
    access: 'token',
    scope: 'blob',
    readerWrite: true,
  },
  { method: 'GET', path: '/v1/blobs/:blobId', access: 'token', scope: 'blob' },
  { method: 'HEAD', path: '/v1/blobs/:blobId', access: 'token', scope: 'blob' },
  {
    method: 'DELETE',
    path: '/v1/blobs/:blobId',
    access: 'token',
    scope: 'blob',
    readerWrite: true,
  },
  // events.ts
  { method: 'GET', path: '/v1/events', access: 'token', scope: 'none' },
  // ops.ts, openapi.ts
  { method: 'GET', path: '/healthz', access: 'public', scope: 'none' },
  { method: 'GET', path: '/readyz', access: 'public', scope: 'none' },
  { method: 'GET', path: '/metrics', access: 'public', scope: 'none' },
  { method: 'GET', path: '/openapi.json', access: 'public', scope: 'none' },
];

/** `METHOD /path/{}` with parameter names erased (Fastify `:x` and OpenAPI `{x}` alike). */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/:[^/]+|\{[^}]+\}/g, '{}')}`;
}

/** Fills a Fastify path's parameters. */
export function fill(path: string, params: Record<string, string | number>): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${path}`);
    return String(v);
  });
}

// ---------------------------------------------------------------------------------------
// OpenAPI: finding an operation and checking a value against its JSON schemas.

type Schema = Record<string, unknown>;

/** The operation of the OpenAPI document that serves a table route. */
export function operationOf(doc: Schema, method: string, path: string): Schema | undefined {
  const paths = doc.paths as Record<string, Record<string, Schema>>;
  const key = routeKey(method, path);
  for (const [p, ops] of Object.entries(paths))
    for (const [m, o] of Object.entries(ops)) if (routeKey(m, p) === key) return o;
  return undefined;
}

/**
 * Errors of `value` against `schema` (the subset of JSON Schema 2020-12 the document uses:
 * $ref, allOf, oneOf, type, enum, const, pattern, minimum, min/maxItems, maxLength,
 * properties, required, additionalProperties false, items). Empty when it conforms.
 */
export function schemaErrors(doc: Schema, schema: Schema, value: unknown, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = (doc.components as { schemas: Record<string, Schema> }).schemas[name];
    if (!target) return [`${at}: unresolved ${schema.$ref}`];
    return schemaErrors(doc, target, value, at);
  }
  const errs: string[] = [];
  for (const s of (schema.allOf as Schema[] | undefined) ?? [])
    errs.push(...schemaErrors(doc, s, value, at));
  if (schema.oneOf) {
    const ok = (schema.oneOf as Schema[]).filter(
      (s) => schemaErrors(doc, s, value, at).length === 0,
    );
    if (ok.length !== 1) errs.push(`${at}: matches ${ok.length} of oneOf`);
  }
  const type = schema.type as string | undefined;
  const actual =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : Number.isInteger(value)
          ? 'integer'
          : typeof value;
  if (type && !(type === actual || (type === 'number' && actual === 'integer')))
    return [...errs, `${at}: expected ${type}, got ${actual}`];
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errs.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if ('const' in schema && schema.const !== value) errs.push(`${at}: not ${String(schema.const)}`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern as string).test(value))
      errs.push(`${at}: ${JSON.stringify(value.slice(0, 60))} does not match ${schema.pattern}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      errs.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum)
    errs.push(`${at}: below ${schema.minimum}`);
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      errs.push(`${at}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      errs.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.items)
      value.forEach((v, i) =>
        errs.push(...schemaErrors(doc, schema.items as Schema, v, `${at}[${i}]`)),
      );
  }
  if (actual === 'object') {
    const o = value as Record<string, unknown>;
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const r of (schema.required as string[] | undefined) ?? [])
      if (!(r in o)) errs.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(o)) {
      const p = props[k];
      if (p) errs.push(...schemaErrors(doc, p, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}: unexpected property ${k}`);
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------------------
// Raw HTTP (exact paths, headers and bodies; fetch would normalize them).

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends one request with node:http exactly as given (no path normalization). An event
 * stream is not read: the reply resolves on its headers and the connection is dropped.
 */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<RawReply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        agent: false,
      },
      (res) => {
        const out = { status: res.statusCode ?? 0, headers: res.headers };
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          resolve({ ...out, body: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ ...out, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The `error.code` of a JSON error body, if any. */
export function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Direct database access to the storage a test server uses.

/** A connection to a test server's database, for setting up states the API cannot reach. */
export class DbPeek {
  private constructor(
    private readonly lite: SQLite.Database | undefined,
    private readonly client: pg.Client | undefined,
  ) {}

  static async open(storage: Storage): Promise<DbPeek> {
    if (storage.kind === 'sqlite') {
      const db = new SQLite(join(storage.dataDir, 'hush.db'));
      db.pragma('busy_timeout = 5000');
      return new DbPeek(db, undefined);
    }
    const url = (await storage.env()).DATABASE_URL;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new DbPeek(undefined, client);
  }

  /** Runs one statement written with `?` placeholders; returns its rows (if any). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.lite) {
      const st = this.lite.prepare(sql);
      return (st.reader ? st.all(...params) : (st.run(...params), [])) as T[];
    }
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    return (await (this.client as pg.Client).query(text, params)).rows as T[];
  }

  async close(): Promise<void> {
    this.lite?.close();
    await this.client?.end();
  }
}
