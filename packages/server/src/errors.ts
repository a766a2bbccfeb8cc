/**
 * The registry of wire errors. Every error a client can receive has a stable `HUSH_ERR_*`
 * code, an HTTP status and a one-line message; docs/API.md lists the same table and a test
 * checks that the two agree. Responses carry `{ "error": { "code", "message" } }`.
 */
export const ERRORS = {
  HUSH_ERR_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  HUSH_ERR_UNAUTHENTICATED: {
    status: 401,
    message: 'missing, invalid or expired access token: sign in again',
  },
  HUSH_ERR_CHALLENGE_FAILED: {
    status: 401,
    message: 'the challenge signature did not verify or the challenge expired',
  },
  HUSH_ERR_REFRESH_REUSED: {
    status: 401,
    message: 'a spent refresh token was reused: every token of this session is revoked',
  },
  HUSH_ERR_DEVICE_REVOKED: { status: 403, message: 'this device has been revoked' },
  HUSH_ERR_FORBIDDEN: { status: 403, message: 'your role does not allow this' },
  HUSH_ERR_REGISTRATION_CLOSED: {
    status: 403,
    message: 'registration needs the operator token on this server',
  },
  HUSH_ERR_NOT_FOUND: { status: 404, message: 'no such resource, or not visible to you' },
  HUSH_ERR_CONFLICT: { status: 409, message: 'a different value already exists under this id' },
  HUSH_ERR_VERSION_CONFLICT: {
    status: 409,
    message: 'the version moved on: fetch the latest and retry',
  },
  HUSH_ERR_CHAIN_CONFLICT: {
    status: 409,
    message: 'the chain head moved on: fetch the chain and retry',
  },
  HUSH_ERR_BLOB_INCOMPLETE: { status: 409, message: 'the blob is not complete' },
  HUSH_ERR_BODY_TOO_LARGE: { status: 413, message: 'the request body is too large' },
  HUSH_ERR_OBJECT_TOO_LARGE: {
    status: 413,
    message: 'the object is larger than this server accepts',
  },
  HUSH_ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'the range starts beyond the blob' },
  HUSH_ERR_INVALID_LINK: { status: 422, message: 'the chain link does not verify' },
  HUSH_ERR_INVALID_ENVELOPE: {
    status: 422,
    message: 'the envelope is malformed or does not match its route',
  },
  HUSH_ERR_RATE_LIMITED: { status: 429, message: 'too many requests from this device: slow down' },
  HUSH_ERR_INTERNAL: { status: 500, message: 'internal server error' },
  HUSH_ERR_UNAVAILABLE: { status: 503, message: 'the database is unreachable: retry shortly' },
  HUSH_ERR_QUOTA_EXCEEDED: { status: 507, message: 'the team storage quota is used up' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure: becomes a coded JSON error response, never a stack trace. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra fields for the response body (e.g. the current version on a conflict). */
  readonly extra: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, extra?: Record<string, unknown>) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.extra = extra;
  }
}

/** Shorthand for throwing a coded error. */
export function fail(code: ErrorCode, message?: string, extra?: Record<string, unknown>): never {
  throw new HttpError(code, message, extra);
}
