/**
 * Typed SDK errors. Every failure the SDK raises is one of these classes, so callers (the
 * CLI's exit codes, the MCP server) branch on the class, never on the message. Messages
 * never carry key material, tokens or plaintext.
 */

/** Options every SDK error takes. */
export interface ErrorOptions {
  readonly cause?: unknown;
  readonly code?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Base class of every error raised by `@hush/client`. */
export class ClientError extends Error {
  /** Stable machine-readable class name, e.g. `VERIFICATION`, `AUTH`. */
  readonly kind: string;
  /** The relay's `HUSH_ERR_*` code when the error came from the relay. */
  readonly code: string | undefined;
  /** Extra fields of the relay's error body (e.g. `currentVersion`), never secret. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(kind: string, message: string, options?: ErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.kind = kind;
    this.code = options?.code;
    this.details = options?.details ?? {};
    this.name = new.target.name;
  }
}

/**
 * Something the relay (or a member) sent does not verify: a chain, a key box, an envelope,
 * a body, or a chain that rolled back or forked below its pin. `reason` is the core failure
 * reason (`rollback`, `fork`, `bad-signature`, `decrypt`, `commitment`, ...).
 */
export class VerificationError extends ClientError {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super('VERIFICATION', message, options);
    this.reason = reason;
  }
}

/** Sign-in failed, the device is revoked, or the caller's role does not allow the action. */
export class AuthError extends ClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('AUTH', message, options);
  }
}

/** The relay is unreachable or unavailable (connection failure, 5xx, 503, 429). */
export class NetworkError extends ClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('NETWORK', message, options);
  }
}

/** No such team, member, message or resource (or not visible to this principal). */
export class NotFoundError extends ClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

/** A different value already exists, or the chain or version moved on. */
export class ConflictError extends ClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFLICT', message, options);
  }
}

/** The caller passed a bad argument (unknown target, bad role, plain http to a remote host). */
export class UsageError extends ClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('USAGE', message, options);
  }
}

/** The local home is missing, unreadable or corrupt, or the passphrase is wrong. */
export class LocalStateError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCAL_STATE', message, options);
  }
}

/** Wraps a core verification failure (ChainError, EnvelopeError, KeyBoxError, ...) with its reason. */
export function verificationFailure(e: unknown, what: string): VerificationError {
  if (e instanceof VerificationError) return e;
  if (e instanceof ClientError) throw e;
  const reason =
    typeof e === 'object' && e !== null && 'reason' in e && typeof e.reason === 'string'
      ? e.reason
      : typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
        ? e.code.toLowerCase()
        : 'invalid';
  const detail = e instanceof Error ? e.message : String(e);
  return new VerificationError(reason, `${what}: ${detail}`, { cause: e });
}
