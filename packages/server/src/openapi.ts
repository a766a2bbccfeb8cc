/**
 * The OpenAPI 3.1 document of the relay, written by hand from the routes (docs/API.md is
 * the prose reference). Every operation lists the `HUSH_ERR_*` codes it can answer, grouped
 * by status, both as an enum on the error schema of each response and as the
 * `x-hush-error-codes` extension; a test checks that the document and the registered routes
 * list the same operations.
 */
import { ERRORS, type ErrorCode } from './errors.js';

/** A JSON value (the document is plain data). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** Where the document is served. */
export const OPENAPI_PATH = '/openapi.json';

const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });
const described = (description: string): Obj => (description ? { description } : {});
const int = (description: string, minimum = 0): Obj => ({
  type: 'integer',
  minimum,
  ...described(description),
});
const str = (description: string): Obj => ({ type: 'string', ...described(description) });
const bool = (description: string): Obj => ({ type: 'boolean', ...described(description) });
const arr = (items: Obj, description: string, minItems?: number, maxItems?: number): Obj => ({
  type: 'array',
  items,
  ...described(description),
  ...(minItems !== undefined ? { minItems } : {}),
  ...(maxItems !== undefined ? { maxItems } : {}),
});
/** A closed object: every listed property is required unless named in `optional`. */
function obj(properties: Obj, optional: string[] = [], description?: string): Obj {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
    ...(description ? { description } : {}),
  };
}

// Canonical unpadded base64url of an exact length: the last character may only carry the
// bits that belong to the value (its unused low bits are zero).
const B64 = '[A-Za-z0-9_-]';
const schemas: Obj = {
  Base64url: {
    type: 'string',
    pattern: `^${B64}*$`,
    description: 'canonical unpadded base64url (PROTOCOL.md section 1.2)',
  },
  Id32: {
    type: 'string',
    pattern: `^${B64}{42}[AEIMQUYcgkosw048]$`,
    description: '32 bytes, canonical base64url (principal, device, team, invite ids; nonces)',
  },
  Id16: {
    type: 'string',
    pattern: `^${B64}{21}[AQgw]$`,
    description: '16 bytes, canonical base64url (object and blob ids)',
  },
  Signature: {
    type: 'string',
    pattern: `^${B64}{85}[AQgw]$`,
    description: 'a 64-byte Ed25519 signature, canonical base64url',
  },
  Error: obj(
    {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string', enum: Object.keys(ERRORS) },
          message: str('one line for humans; branch on `code`, never on the message'),
        },
        required: ['code', 'message'],
        additionalProperties: true,
        description:
          'details of some errors: `reason` (INVALID_LINK, INVALID_ENVELOPE), `currentVersion` and ' +
          '`objectId` (CONFLICT, VERSION_CONFLICT), `retryAfter` (RATE_LIMITED), `maxBytes` ' +
          '(BODY_TOO_LARGE on a chunk), `size` (RANGE_NOT_SATISFIABLE), `missing`, `missingCount`, ' +
          '`surplus`, `storedSize` (BLOB_INCOMPLETE), `chunkCount`, `totalSize` (CONFLICT on complete)',
      },
    },
    [],
    'every failure: `{ "error": { "code", "message", ...details } }`',
  ),
  Links: obj(
    {
      links: arr(ref('Base64url'), 'links with sequence number >= fromSeq, in order'),
      fromSeq: int(''),
    },
    [],
  ),
  LinksBody: obj({ links: arr(ref('Base64url'), 'canonically encoded chain links', 1, 100) }),
  ChainHead: obj({ id: ref('Id32'), headSeq: int('sequence number of the chain head') }),
  TokenPair: obj({
    accessToken: str('bearer token `hat_...`, valid 15 minutes'),
    refreshToken: str('`hrt_...`, single use, valid 30 days'),
    expiresIn: int('seconds until the access token expires'),
  }),
  Principal: obj({
    id: ref('Id32'),
    kind: { type: 'string', enum: ['human', 'agent'] },
    headSeq: int('sequence number of the chain head'),
    headHash: ref('Id32'),
    devices: arr(
      obj({
        id: ref('Id32'),
        kind: { type: 'string', enum: ['device', 'recovery'] },
        revoked: bool('revoked devices can do nothing'),
      }),
      'every device the chain ever linked',
    ),
  }),
  KeyBoxList: arr(
    obj({ generation: int('key generation', 1), box: ref('Base64url') }),
    'key boxes addressed to the caller (or the invite), by generation',
  ),
  KeyBoxes: obj({ keyBoxes: ref('KeyBoxList') }),
  ObjectItem: obj({
    seq: int('per-team sequence number of this version', 1),
    objectId: ref('Id16'),
    version: int('', 1),
    collection: int('1 message, 2 snippet, 3 kv, 4 secret, 5 file', 1),
    blindIndex: { oneOf: [ref('Id32'), { type: 'null' }] },
    tombstone: bool('a signed delete'),
    envelope: ref('Base64url'),
  }),
  ObjectVersion: obj({
    seq: int('', 1),
    version: int('', 1),
    tombstone: bool(''),
    size: int('envelope bytes'),
    author: ref('Id32'),
    device: ref('Id32'),
    storedAt: int('server clock, ms since the epoch'),
  }),
  PutResult: obj({ seq: int('', 1), objectId: ref('Id16'), version: int('', 1) }),
  EnvelopeBody: obj({ envelope: ref('Base64url') }),
  InboxItem: obj({
    seq: int('per-principal sequence number', 1),
    objectId: ref('Id16'),
    acked: bool('acknowledged by any device of the principal'),
    envelope: ref('Base64url'),
  }),
  BlobStatus: obj(
    {
      blobId: ref('Id16'),
      teamId: {
        oneOf: [ref('Id32'), { type: 'null' }],
        description: 'the team of a team blob; null for a direct blob',
      },
      readers: arr(ref('Id32'), 'direct blobs only: who may read it once complete, sorted'),
      complete: bool(''),
      present: arr(int('chunk index'), 'stored chunk indexes, ascending'),
      sizes: arr(int('bytes', 1), 'their sizes, same order'),
      storedSize: int('sum of sizes'),
      chunkCount: { oneOf: [int('', 1), { type: 'null' }], description: 'null while incomplete' },
      totalSize: { oneOf: [int('', 1), { type: 'null' }], description: 'null while incomplete' },
    },
    ['readers'],
  ),
  Status: obj({ status: { type: 'string', enum: ['ok', 'ready'] } }),
};

const param = (
  name: string,
  where: 'path' | 'query' | 'header',
  schema: Obj,
  description: string,
): Obj => ({
  name,
  in: where,
  required: where === 'path',
  schema,
  description,
});
const P = {
  principalId: param('principalId', 'path', ref('Id32'), 'principal id'),
  teamId: param('teamId', 'path', ref('Id32'), 'team id'),
  objectId: param('objectId', 'path', ref('Id16'), 'client-chosen object id'),
  blobId: param('blobId', 'path', ref('Id16'), 'blob id'),
  blindIndex: param('blindIndex', 'path', ref('Id32'), 'blind index of a kv entry or secret'),
  version: param(
    'version',
    'path',
    { type: 'string', pattern: '^\\d{1,16}$' },
    'object version, 1 or more',
  ),
  n: param(
    'n',
    'path',
    { type: 'string', pattern: '^(0|[1-9]\\d{0,6})$' },
    'chunk index, 0..1048575',
  ),
  since: param(
    'since',
    'query',
    { type: 'string', pattern: '^\\d{1,16}$' },
    'return items after this cursor (default 0)',
  ),
  limit: param(
    'limit',
    'query',
    { type: 'string', pattern: '^\\d{1,4}$' },
    'page size, 1..1000 (default 100)',
  ),
};

/** Codes every route behind a bearer token can answer. */
const TOKEN: ErrorCode[] = [
  'HUSH_ERR_UNAUTHENTICATED',
  'HUSH_ERR_DEVICE_REVOKED',
  'HUSH_ERR_RATE_LIMITED',
  'HUSH_ERR_UNAVAILABLE',
];
/** Codes every route with a JSON body can answer. */
const BODY: ErrorCode[] = ['HUSH_ERR_BAD_REQUEST', 'HUSH_ERR_BODY_TOO_LARGE'];

interface OpSpec {
  id: string;
  tag: string;
  summary: string;
  auth: 'token' | 'public' | 'optional';
  params?: Obj[];
  body?: Obj;
  /** The JSON body may be left out (create-upload). */
  bodyOptional?: boolean;
  /** A raw `application/octet-stream` body instead of JSON (blob chunks). */
  rawBody?: string;
  /** Success statuses and their JSON schema (or a full response object for non-JSON). */
  ok: Record<string, Obj>;
  errors: ErrorCode[];
  description?: string;
}

function jsonResponse(description: string, schema: Obj): Obj {
  return { description, content: { 'application/json': { schema } } };
}

function op(s: OpSpec): Obj {
  const codes = [...new Set([...s.errors, ...(s.auth === 'public' ? [] : TOKEN)])].sort(
    (a, b) => ERRORS[a].status - ERRORS[b].status || a.localeCompare(b),
  );
  const responses: Obj = {};
  for (const [status, r] of Object.entries(s.ok))
    responses[status] = 'content' in r || 'headers' in r ? r : jsonResponse('success', r);
  for (const code of codes) {
    const status = String(ERRORS[code].status);
    const prev = responses[status] as Obj | undefined;
    const list = [...((prev?.['x-hush-error-codes'] as string[] | undefined) ?? []), code];
    responses[status] = {
      ...jsonResponse(list.join(', '), {
        allOf: [ref('Error'), { properties: { error: { properties: { code: { enum: list } } } } }],
      }),
      ...(code === 'HUSH_ERR_RATE_LIMITED'
        ? { headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } } }
        : {}),
      'x-hush-error-codes': list,
    };
  }
  return {
    operationId: s.id,
    tags: [s.tag],
    summary: s.summary,
    ...(s.description ? { description: s.description } : {}),
    security:
      s.auth === 'token' ? [{ bearer: [] }] : s.auth === 'optional' ? [{ bearer: [] }, {}] : [],
    ...(s.params ? { parameters: s.params } : {}),
    ...(s.body
      ? {
          requestBody: {
            required: s.bodyOptional !== true,
            content: { 'application/json': { schema: s.body } },
          },
        }
      : {}),
    ...(s.rawBody
      ? {
          requestBody: {
            required: true,
            description: s.rawBody,
            content: {
              'application/octet-stream': {
                schema: { type: 'string', contentMediaType: 'application/octet-stream' },
              },
            },
          },
        }
      : {}),
    responses,
    'x-hush-error-codes': codes,
  };
}

const LINK_ERRORS: ErrorCode[] = ['HUSH_ERR_INVALID_LINK', 'HUSH_ERR_CHAIN_CONFLICT'];
const TEAM_READ: ErrorCode[] = ['HUSH_ERR_BAD_REQUEST', 'HUSH_ERR_NOT_FOUND'];
const created = (schema: Obj): Record<string, Obj> => ({
  '200': jsonResponse('already there: the stored result (idempotent repeat)', schema),
  '201': jsonResponse('created', schema),
});

const paths: Record<string, Record<string, Obj>> = {
  '/v1/auth/challenge': {
    post: op({
      id: 'authChallenge',
      tag: 'auth',
      summary: 'Get a single-use 32-byte nonce (valid 60 s) for a device to sign',
      auth: 'public',
      body: obj({ deviceId: ref('Id32') }),
      ok: { '200': obj({ nonce: ref('Id32'), expiresIn: int('seconds') }) },
      errors: [
        ...BODY,
        'HUSH_ERR_DEVICE_REVOKED',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_RATE_LIMITED',
        'HUSH_ERR_UNAVAILABLE',
      ],
    }),
  },
  '/v1/auth/token': {
    post: op({
      id: 'authToken',
      tag: 'auth',
      summary:
        'Answer a challenge with the device signature; returns an access and a refresh token',
      description:
        'signature = Ed25519(device, authChallengeMessage(nonce, deviceId, lower-cased Host)) (PROTOCOL.md section 3.6)',
      auth: 'public',
      body: obj({ deviceId: ref('Id32'), nonce: ref('Id32'), signature: ref('Signature') }),
      ok: { '200': ref('TokenPair') },
      errors: [
        ...BODY,
        'HUSH_ERR_CHALLENGE_FAILED',
        'HUSH_ERR_DEVICE_REVOKED',
        'HUSH_ERR_RATE_LIMITED',
        'HUSH_ERR_UNAVAILABLE',
      ],
    }),
  },
  '/v1/auth/refresh': {
    post: op({
      id: 'authRefresh',
      tag: 'auth',
      summary: 'Rotate a refresh token; reusing a spent one revokes the whole sign-in',
      auth: 'public',
      body: obj({ refreshToken: { type: 'string', maxLength: 200 } }),
      ok: { '200': ref('TokenPair') },
      errors: [
        ...BODY,
        'HUSH_ERR_UNAUTHENTICATED',
        'HUSH_ERR_REFRESH_REUSED',
        'HUSH_ERR_RATE_LIMITED',
        'HUSH_ERR_UNAVAILABLE',
      ],
    }),
  },
  '/v1/principals': {
    post: op({
      id: 'registerPrincipal',
      tag: 'principals',
      summary: 'Register a principal chain (genesis and any links after it)',
      description:
        'With `--registration invite` the header `x-hush-operator-token` must carry the operator token.',
      auth: 'public',
      params: [
        param(
          'x-hush-operator-token',
          'header',
          { type: 'string' },
          'operator token (invite-only registration)',
        ),
      ],
      body: ref('LinksBody'),
      ok: created(ref('ChainHead')),
      errors: [
        ...BODY,
        'HUSH_ERR_REGISTRATION_CLOSED',
        'HUSH_ERR_CONFLICT',
        'HUSH_ERR_INVALID_LINK',
        'HUSH_ERR_RATE_LIMITED',
        'HUSH_ERR_UNAVAILABLE',
      ],
    }),
  },
  '/v1/principals/{principalId}': {
    get: op({
      id: 'getPrincipal',
      tag: 'principals',
      summary: 'A principal: kind, chain head and devices',
      auth: 'public',
      params: [P.principalId],
      ok: { '200': ref('Principal') },
      errors: [...TEAM_READ, 'HUSH_ERR_UNAVAILABLE'],
    }),
  },
  '/v1/principals/{principalId}/links': {
    get: op({
      id: 'getPrincipalLinks',
      tag: 'principals',
      summary: 'The principal chain from sequence number `since` on',
      auth: 'public',
      params: [P.principalId, P.since],
      ok: { '200': ref('Links') },
      errors: [...TEAM_READ, 'HUSH_ERR_UNAVAILABLE'],
    }),
    post: op({
      id: 'appendPrincipalLinks',
      tag: 'principals',
      summary: "Append links to the caller's own principal chain",
      description:
        'Needs a token, except a single `accept-device-invite` link (the invite signature inside it authorizes it).',
      auth: 'optional',
      params: [P.principalId],
      body: ref('LinksBody'),
      ok: { '200': ref('ChainHead') },
      errors: [
        ...BODY,
        ...LINK_ERRORS,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
      ],
    }),
  },
  '/v1/teams': {
    get: op({
      id: 'listTeams',
      tag: 'teams',
      summary: "The teams of the caller's principal",
      auth: 'token',
      ok: {
        '200': obj({
          teams: arr(
            obj({
              id: ref('Id32'),
              headSeq: int(''),
              role: int('1 owner, 2 admin, 3 writer, 4 reader, 5 agent', 1),
            }),
            'oldest first',
          ),
        }),
      },
      errors: [],
    }),
    post: op({
      id: 'createTeam',
      tag: 'teams',
      summary: 'Create a team: its create link and the generation-1 key boxes',
      auth: 'token',
      body: obj({
        links: arr(ref('Base64url'), 'exactly the create link', 1, 1),
        keyBoxes: arr(ref('Base64url'), 'generation 1, to the creator devices', 1, 10000),
      }),
      ok: created(ref('ChainHead')),
      errors: [...BODY, 'HUSH_ERR_FORBIDDEN', 'HUSH_ERR_CONFLICT', 'HUSH_ERR_INVALID_LINK'],
    }),
  },
  '/v1/teams/{teamId}/links': {
    get: op({
      id: 'getTeamLinks',
      tag: 'teams',
      summary: 'The team chain from `since` on (members only)',
      auth: 'token',
      params: [P.teamId, P.since],
      ok: { '200': ref('Links') },
      errors: TEAM_READ,
    }),
    post: op({
      id: 'appendTeamLinks',
      tag: 'teams',
      summary: 'Append links with the key boxes they require, atomically',
      description:
        "Members; or the invitee for an `accept-invite` link. Every link is authored and signed by the calling device. With no links, key boxes addressed to the caller's own active devices (giving a newly linked device the team keys).",
      auth: 'token',
      params: [P.teamId],
      body: obj(
        {
          links: arr(ref('Base64url'), 'empty: key boxes for your own devices only', 0, 100),
          keyBoxes: arr(ref('Base64url'), 'boxes a rotation or an add requires', 0, 10000),
        },
        ['keyBoxes'],
      ),
      ok: { '200': ref('ChainHead') },
      errors: [
        ...BODY,
        ...LINK_ERRORS,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
      ],
    }),
  },
  '/v1/teams/{teamId}/keyboxes': {
    get: op({
      id: 'getKeyBoxes',
      tag: 'teams',
      summary: 'The key boxes addressed to the calling device',
      auth: 'token',
      params: [P.teamId],
      ok: { '200': ref('KeyBoxes') },
      errors: TEAM_READ,
    }),
  },
  '/v1/teams/{teamId}/keyboxes/recipients': {
    get: op({
      id: 'getKeyBoxRecipients',
      tag: 'teams',
      summary: 'The device and invite ids holding a key box for one generation (members only)',
      description:
        "For the client's audit that every active device of every member holds the key (PROTOCOL.md 5.5). The relay's word only: a client treats it as a hint.",
      auth: 'token',
      params: [
        P.teamId,
        {
          ...param(
            'generation',
            'query',
            { type: 'string', pattern: '^\\d{1,16}$' },
            'key generation, 1 or more',
          ),
          required: true,
        },
      ],
      ok: {
        '200': obj({
          generation: int('the generation asked for', 1),
          recipients: arr(ref('Id32'), 'recipient ids (devices and invites), ascending'),
        }),
      },
      errors: TEAM_READ,
    }),
  },
  '/v1/teams/{teamId}/invite-preview': {
    post: op({
      id: 'invitePreview',
      tag: 'teams',
      summary: 'An invitee reads the chain and its invite key box before accepting',
      description:
        'signature = Ed25519(invite key, invitePreviewMessage(nonce, teamId, inviteId, lower-cased Host)); nonce is chosen by the client.',
      auth: 'token',
      params: [P.teamId],
      body: obj({ inviteId: ref('Id32'), nonce: ref('Id32'), signature: ref('Signature') }),
      ok: {
        '200': obj({
          links: arr(ref('Base64url'), 'the whole team chain'),
          fromSeq: int(''),
          keyBoxes: ref('KeyBoxList'),
        }),
      },
      errors: [...BODY, 'HUSH_ERR_NOT_FOUND', 'HUSH_ERR_FORBIDDEN'],
    }),
  },
  '/v1/teams/{teamId}/objects': {
    get: op({
      id: 'listObjects',
      tag: 'objects',
      summary: 'Object versions with seq > since, ascending (at most `limit` and about 8 MiB)',
      auth: 'token',
      params: [P.teamId, P.since, P.limit],
      ok: {
        '200': obj({
          objects: arr(ref('ObjectItem'), ''),
          next: int('pass as `since` to continue'),
        }),
      },
      errors: TEAM_READ,
    }),
  },
  '/v1/teams/{teamId}/objects/{objectId}': {
    get: op({
      id: 'getObject',
      tag: 'objects',
      summary: 'The latest version of an object, or version `version`',
      auth: 'token',
      params: [
        P.teamId,
        P.objectId,
        param(
          'version',
          'query',
          { type: 'string', pattern: '^\\d{1,16}$' },
          'a version, 1 or more',
        ),
      ],
      ok: { '200': ref('ObjectItem') },
      errors: TEAM_READ,
    }),
  },
  '/v1/teams/{teamId}/objects/{objectId}/versions': {
    get: op({
      id: 'listObjectVersions',
      tag: 'objects',
      summary: 'The version history of an object, metadata only',
      auth: 'token',
      params: [P.teamId, P.objectId, P.since, P.limit],
      ok: {
        '200': obj({
          objectId: ref('Id16'),
          versions: arr(ref('ObjectVersion'), 'versions > since, ascending'),
          next: int('the last version listed (or `since`)'),
        }),
      },
      errors: TEAM_READ,
    }),
  },
  '/v1/teams/{teamId}/objects/{objectId}/versions/{version}': {
    put: op({
      id: 'putObjectVersion',
      tag: 'objects',
      summary: 'Store one version of an object (a team envelope); idempotent for the same bytes',
      description:
        'Version rules, blind-index uniqueness and the check order are in docs/API.md (Team objects). ' +
        'CONFLICT and VERSION_CONFLICT carry `currentVersion` (and `objectId` of a blind-index holder).',
      auth: 'token',
      params: [P.teamId, P.objectId, P.version],
      body: ref('EnvelopeBody'),
      ok: created(ref('PutResult')),
      errors: [
        ...BODY,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
        'HUSH_ERR_VERSION_CONFLICT',
        'HUSH_ERR_OBJECT_TOO_LARGE',
        'HUSH_ERR_INVALID_ENVELOPE',
        'HUSH_ERR_QUOTA_EXCEEDED',
      ],
    }),
  },
  '/v1/teams/{teamId}/kv/{blindIndex}': {
    get: op({
      id: 'getByBlindIndex',
      tag: 'objects',
      summary:
        'The latest version stored under a blind index (a deleted key answers its tombstone)',
      auth: 'token',
      params: [P.teamId, P.blindIndex],
      ok: { '200': ref('ObjectItem') },
      errors: TEAM_READ,
    }),
  },
  '/v1/inbox': {
    get: op({
      id: 'listInbox',
      tag: 'inbox',
      summary: "The caller principal's inbox entries with seq > since",
      auth: 'token',
      params: [
        P.since,
        P.limit,
        param(
          'unacked',
          'query',
          { type: 'string', enum: ['0', '1', 'false', 'true'] },
          '1/true: only entries not yet acknowledged',
        ),
      ],
      ok: {
        '200': obj({ items: arr(ref('InboxItem'), ''), next: int('pass as `since` to continue') }),
      },
      errors: ['HUSH_ERR_BAD_REQUEST'],
    }),
    post: op({
      id: 'sendDirect',
      tag: 'inbox',
      summary: 'Send one direct envelope to the principals named in its signed header',
      auth: 'token',
      body: ref('EnvelopeBody'),
      ok: created(
        obj({
          objectId: ref('Id16'),
          seq: int("the entry's position in the sender's own inbox", 1),
        }),
      ),
      errors: [
        ...BODY,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
        'HUSH_ERR_OBJECT_TOO_LARGE',
        'HUSH_ERR_INVALID_ENVELOPE',
      ],
    }),
  },
  '/v1/inbox/ack': {
    post: op({
      id: 'ackInbox',
      tag: 'inbox',
      summary:
        "Acknowledge entries of the caller's principal (unknown or acknowledged ids are ignored)",
      auth: 'token',
      body: obj({ objectIds: arr(ref('Id16'), '', 1, 1000) }),
      ok: { '200': obj({ acked: int('entries newly acknowledged') }) },
      errors: BODY,
    }),
  },
  '/v1/teams/{teamId}/blobs': {
    post: op({
      id: 'createBlob',
      tag: 'blobs',
      summary: 'Create (or get back) a resumable upload in the team',
      auth: 'token',
      params: [P.teamId],
      body: obj({ blobId: ref('Id16') }, ['blobId'], 'may be empty: the server then picks the id'),
      bodyOptional: true,
      ok: created(
        obj({
          blobId: ref('Id16'),
          complete: bool('true when repeating the create of a completed upload'),
        }),
      ),
      errors: [
        ...BODY,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
        'HUSH_ERR_UNAVAILABLE',
      ],
    }),
  },
  '/v1/blobs': {
    post: op({
      id: 'createDirectBlob',
      tag: 'blobs',
      summary:
        'Create (or get back) a resumable upload readable, once complete, by the given principals',
      description:
        'A direct blob belongs to no team: the caller uploads it, its readers may read its status and download it ' +
        'once complete, and everyone else gets 404. Its bytes count toward the uploader principal quota ' +
        '(--direct-quota-bytes).',
      auth: 'token',
      body: obj({
        blobId: ref('Id16'),
        readers: arr(ref('Id32'), 'distinct registered principal ids', 1, 1000),
      }),
      ok: created(
        obj({
          blobId: ref('Id16'),
          complete: bool('true when repeating the create of a completed upload'),
        }),
      ),
      errors: [...BODY, 'HUSH_ERR_NOT_FOUND', 'HUSH_ERR_CONFLICT', 'HUSH_ERR_UNAVAILABLE'],
    }),
  },
  '/v1/blobs/{blobId}/chunks/{n}': {
    put: op({
      id: 'putBlobChunk',
      rawBody:
        'the chunk bytes, 1..--max-chunk-bytes (default 8 MiB), with a Content-Length or chunked encoding',
      tag: 'blobs',
      summary: 'Upload chunk n (raw bytes, 1..--max-chunk-bytes); idempotent for the same bytes',
      auth: 'token',
      params: [P.blobId, P.n],
      ok: created(
        obj({
          blobId: ref('Id16'),
          n: int('chunk index'),
          size: int('bytes received', 1),
          sha256: ref('Id32'),
        }),
      ),
      errors: [
        ...BODY,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
        'HUSH_ERR_QUOTA_EXCEEDED',
      ],
    }),
  },
  '/v1/blobs/{blobId}/status': {
    get: op({
      id: 'getBlobStatus',
      tag: 'blobs',
      summary:
        'What is stored of a blob (the uploader while incomplete; once complete, any member, or a reader of a direct blob)',
      auth: 'token',
      params: [P.blobId],
      ok: { '200': ref('BlobStatus') },
      errors: TEAM_READ,
    }),
  },
  '/v1/blobs/{blobId}/complete': {
    post: op({
      id: 'completeBlob',
      tag: 'blobs',
      summary: 'Seal an upload: chunks 0..chunkCount-1 present and summing to totalSize',
      auth: 'token',
      params: [P.blobId],
      body: obj({ chunkCount: int('', 1), totalSize: int('', 1) }),
      ok: {
        '200': obj({
          blobId: ref('Id16'),
          complete: { type: 'boolean', const: true },
          chunkCount: int('', 1),
          totalSize: int('', 1),
        }),
      },
      errors: [
        ...BODY,
        'HUSH_ERR_FORBIDDEN',
        'HUSH_ERR_NOT_FOUND',
        'HUSH_ERR_CONFLICT',
        'HUSH_ERR_BLOB_INCOMPLETE',
      ],
    }),
  },
  '/v1/blobs/{blobId}': {
    get: op(download('getBlob', 'Download a complete blob (streamed; one `Range` honoured)')),
    head: op(download('headBlob', 'The headers of a download, without the body', true)),
    delete: op({
      id: 'deleteBlob',
      tag: 'blobs',
      summary:
        'Delete a blob (the uploader, or a team admin or owner once complete; a direct blob: the uploader only)',
      auth: 'token',
      params: [P.blobId],
      ok: {
        '200': obj({
          blobId: ref('Id16'),
          deleted: { type: 'boolean', const: true },
          freedBytes: int(''),
        }),
      },
      errors: [...TEAM_READ, 'HUSH_ERR_FORBIDDEN'],
    }),
  },
  '/v1/events': {
    get: op({
      id: 'events',
      tag: 'push',
      summary:
        'Server-Sent Events for every team of the caller and its principal, with exact resume',
      description:
        'Frames and scope are described in docs/API.md (Push). Errors are JSON, before the stream starts.',
      auth: 'token',
      params: [
        param(
          'Last-Event-ID',
          'header',
          { type: 'string', pattern: '^\\d{1,15}$' },
          'resume after this event id',
        ),
        param(
          'since',
          'query',
          { type: 'string', pattern: '^\\d{1,15}$' },
          'the same, for clients that cannot set headers',
        ),
      ],
      ok: {
        '200': {
          description: 'an event stream',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
      },
      errors: ['HUSH_ERR_BAD_REQUEST'],
    }),
  },
  '/healthz': {
    get: op({
      id: 'healthz',
      tag: 'ops',
      summary: 'Liveness: the process serves HTTP (never touches the database)',
      auth: 'public',
      ok: { '200': ref('Status') },
      errors: [],
    }),
  },
  '/readyz': {
    get: op({
      id: 'readyz',
      tag: 'ops',
      summary: 'Readiness: the database answers within 2 s',
      auth: 'public',
      ok: { '200': ref('Status') },
      errors: ['HUSH_ERR_UNAVAILABLE'],
    }),
  },
  '/metrics': {
    get: op({
      id: 'metrics',
      tag: 'ops',
      summary: 'Prometheus text exposition format 0.0.4',
      auth: 'public',
      ok: {
        '200': {
          description: 'metrics',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
      errors: [],
    }),
  },
  [OPENAPI_PATH]: {
    get: op({
      id: 'openapi',
      tag: 'ops',
      summary: 'This document',
      auth: 'public',
      ok: {
        '200': {
          description: 'OpenAPI 3.1',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
      errors: [],
    }),
  },
};

/** GET streams the blob; HEAD answers the same status and headers without a body. */
function download(id: string, summary: string, head = false): OpSpec {
  const headers: Obj = {
    'Content-Length': { schema: { type: 'integer' } },
    'Accept-Ranges': { schema: { type: 'string', const: 'bytes' } },
    ETag: { schema: { type: 'string' }, description: '"<blobId>": a blob never changes' },
  };
  const bytes = {
    'application/octet-stream': {
      schema: { type: 'string', contentMediaType: 'application/octet-stream' },
    },
  };
  return {
    id,
    tag: 'blobs',
    summary,
    auth: 'token',
    params: [
      P.blobId,
      param(
        'Range',
        'header',
        { type: 'string' },
        '`bytes=N-`, `bytes=N-M` or `bytes=-K`; anything else is ignored',
      ),
    ],
    ok: {
      '200': { description: 'the whole blob', headers, ...(head ? {} : { content: bytes }) },
      '206': {
        description: 'the requested range',
        headers: { ...headers, 'Content-Range': { schema: { type: 'string' } } },
        ...(head ? {} : { content: bytes }),
      },
    },
    errors: [...TEAM_READ, 'HUSH_ERR_BLOB_INCOMPLETE', 'HUSH_ERR_RANGE_NOT_SATISFIABLE'],
  };
}

/**
 * The OpenAPI 3.1 document served at {@link OPENAPI_PATH}.
 *
 * @example
 * const doc = openApiDocument();
 * Object.keys(doc.paths as object); // ['/v1/auth/challenge', ...]
 */
export function openApiDocument(): Obj {
  return {
    openapi: '3.1.0',
    info: {
      title: 'hush relay',
      version: '1',
      description:
        'Stores and routes ciphertext; checks signatures, chain order, membership and sizes; never holds a key. ' +
        'Binary fields are canonical unpadded base64url. Prose reference: docs/API.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:7474', description: 'the default local server' }],
    tags: ['auth', 'principals', 'teams', 'objects', 'inbox', 'blobs', 'push', 'ops'].map(
      (name) => ({ name }),
    ),
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'hat_<base64url>',
          description: 'access token from POST /v1/auth/token or /v1/auth/refresh (15 minutes)',
        },
      },
    },
  };
}
