/**
 * Exit codes and the one mapping from an error to a one-line message and a code. The SDK's
 * error classes are matched by name so the CLI never has to load the SDK to report an error
 * that happened before the SDK was needed (and so `--version` stays fast).
 */

/** Process exit codes (docs/CLIENT.md, "CLI"). */
export const EXIT = {
  ok: 0,
  bug: 1,
  usage: 2,
  auth: 3,
  network: 4,
  verification: 5,
  notFound: 6,
  conflict: 7,
  localState: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An expected failure raised by the CLI itself, with its exit code.
 *
 * @example
 * throw new CliError(EXIT.usage, 'missing --name (stdin is not a terminal, so hush cannot ask)');
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error (exit 2). */
export function usage(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

/** SDK error class names (docs/CLIENT.md, "SDK") to exit codes. */
const BY_NAME: ReadonlyMap<string, ExitCode> = new Map(
  Object.entries({
    UsageError: EXIT.usage,
    AuthError: EXIT.auth,
    NetworkError: EXIT.network,
    VerificationError: EXIT.verification,
    NotFoundError: EXIT.notFound,
    ConflictError: EXIT.conflict,
    LocalStateError: EXIT.localState,
    // The server's configuration mistakes (`hush server`) are usage errors too.
    ConfigError: EXIT.usage,
  }),
);

/** The SDK's stable `kind` field, for subclasses whose names are not listed above. */
const BY_KIND: ReadonlyMap<string, ExitCode> = new Map(
  Object.entries({
    USAGE: EXIT.usage,
    AUTH: EXIT.auth,
    NETWORK: EXIT.network,
    VERIFICATION: EXIT.verification,
    NOT_FOUND: EXIT.notFound,
    CONFLICT: EXIT.conflict,
    LOCAL_STATE: EXIT.localState,
  }),
);

/** What the top-level catch prints and exits with. */
export interface Failure {
  readonly exitCode: ExitCode;
  readonly message: string;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Classifies any thrown value. Unknown errors are bugs (exit 1): the line says so and names
 * the error, never a stack trace (HUSH_DEBUG=1 prints the stack for a bug report).
 */
export function classify(e: unknown): Failure {
  if (e instanceof CliError) return { exitCode: e.exitCode, message: oneLine(e.message) };
  if (e instanceof Error) {
    const kind = (e as { kind?: unknown }).kind;
    const byName =
      BY_NAME.get(e.name) ?? (typeof kind === 'string' ? BY_KIND.get(kind) : undefined);
    if (byName !== undefined) return { exitCode: byName, message: oneLine(e.message) };
    const code = (e as { code?: unknown }).code;
    // Node's own network failures can escape an SDK that does not wrap them.
    if (typeof code === 'string' && NET_CODES.has(code)) {
      return { exitCode: EXIT.network, message: oneLine(e.message) };
    }
    return {
      exitCode: EXIT.bug,
      message: `bug: unexpected ${e.name}: ${oneLine(e.message)} (please report it; HUSH_DEBUG=1 shows the stack)`,
    };
  }
  return { exitCode: EXIT.bug, message: `bug: unexpected ${typeof e} thrown (please report it)` };
}

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
