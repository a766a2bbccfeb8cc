/**
 * Tool errors: every failure becomes one line for the model (`isError: true`), naming the
 * class of failure and what to do. Never a stack trace, never key material: SDK messages
 * carry neither, and text that came from the relay is clipped and stripped of control
 * characters, because a lying relay could otherwise write into the model's context at length.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** An expected failure raised by the MCP layer itself (bad path, bad argument combination). */
export class ToolError extends Error {
  constructor(
    /** One of the SDK's error kinds (`USAGE`, `NOT_FOUND`, ...). */
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** A usage error: the model passed arguments that cannot work. */
export function usage(message: string): ToolError {
  return new ToolError('USAGE', message);
}

/** What each error kind is called, and what the model should do about it. */
const KINDS: Readonly<Record<string, { label: string; hint: string }>> = {
  USAGE: { label: 'invalid request', hint: '' },
  AUTH: { label: 'not allowed', hint: 'ask a human to check this agent’s role in the team' },
  /** No secret grant for what secret_run was asked (the message names the command). */
  GRANT: { label: 'not allowed', hint: '' },
  NETWORK: {
    label: 'relay unreachable',
    hint: 'try again later; a message sent now is queued and delivered once the relay is back',
  },
  VERIFICATION: {
    label: 'verification failed',
    hint: 'nothing unverified was used; tell a human, the relay or a member sent something forged or corrupt',
  },
  NOT_FOUND: { label: 'not found', hint: '' },
  CONFLICT: { label: 'conflict', hint: 'read the current state and try again' },
  LOCAL_STATE: {
    label: 'local hush state',
    hint: 'ask a human to check the .hush/ folder of this workspace',
  },
};

const MAX = 400;

/** One line, no control characters, at most MAX characters. */
function clean(s: string): string {
  const line = s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    // The SDK names its own method; a model has the tool.
    .replace('(run teams.list() to refresh)', '(list_teams refreshes what you see)')
    .trim();
  return line.length > MAX ? `${line.slice(0, MAX - 1)}…` : line;
}

/** The error's SDK kind (`kind` field of ClientError and ToolError), if it has one. */
function kindOf(e: unknown): string | undefined {
  const k = (e as { kind?: unknown } | null)?.kind;
  return typeof k === 'string' && k in KINDS ? k : undefined;
}

/**
 * The one-line text a failure is reported with.
 * @example
 * errorText(new NotFoundError('no message 8V3x')); // 'not found: no message 8V3x'
 */
export function errorText(e: unknown): string {
  const kind = kindOf(e);
  if (kind !== undefined) {
    const { label, hint } = KINDS[kind] as { label: string; hint: string };
    const msg = clean((e as Error).message);
    return hint ? `${label}: ${msg} (${hint})` : `${label}: ${msg}`;
  }
  const name = e instanceof Error ? e.name : typeof e;
  const msg = e instanceof Error ? clean(e.message) : '';
  return `bug in the hush MCP server: unexpected ${name}${msg ? `: ${msg}` : ''} (the details are on its stderr)`;
}

/** Whether an error is one the server did not expect (logged on stderr with its stack). */
export function isBug(e: unknown): boolean {
  return kindOf(e) === undefined;
}

/** A tool result that reports a failure. */
export function toolError(e: unknown): CallToolResult {
  return { content: [{ type: 'text', text: errorText(e) }], isError: true };
}
