/**
 * What a tool is: a name and a description written for a model, zod input and output
 * schemas (the output is sent as structured content), MCP annotations, and `run`. A tool
 * module exports its tools; `registry.ts` lists the modules. Tools hold no protocol logic:
 * they call the SDK and shape its verified answers.
 */
import type { Hush } from '@hush/client';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type * as z from 'zod';
import type { Session } from '../session.js';

/** What `run` gets besides its arguments. */
export interface ToolContext {
  /** The SDK; a tool with `locking: 'self'` must use it only inside `session.exclusive`. */
  readonly hush: Hush;
  readonly session: Session;
  /** Aborted when the client cancels the call or the server shuts down. */
  readonly signal: AbortSignal;
  /** Reports progress when the client asked for it (a no-op otherwise). */
  progress(done: number, total: number, message: string): Promise<void>;
}

/** One MCP tool. */
export interface HushTool<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> {
  /** snake_case, stable: clients and prompts refer to it. */
  readonly name: string;
  readonly title: string;
  /** What it does, when to use it, what it returns: the model reads this. */
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations: Required<Omit<ToolAnnotations, 'title'>>;
  /**
   * By default `run` holds the session lock throughout. `self`: `run` takes it itself,
   * for a tool that waits without blocking the others.
   */
  readonly locking?: 'self';
  run(args: z.output<I>, ctx: ToolContext): Promise<z.output<O>>;
}

/**
 * Declares a tool, checking `run` against its schemas, and erases its types for the list.
 * @example
 * export const whoami = defineTool({ name: 'whoami', ..., run: async (_, { hush }) => hush.whoami() });
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: HushTool<I, O>,
): HushTool {
  return tool as unknown as HushTool;
}

/** Reads verified state, changes nothing. */
export const READ = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

/** Adds something (a message, a snippet, a read mark); never overwrites or deletes. */
export const ADD = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
} as const;

/** Sets a mark that a repeat leaves as it is (read, acknowledged). */
export const MARK = { ...ADD, idempotentHint: true } as const;

/**
 * Replaces or deletes what is there (a key's value, a file in the workspace); doing it
 * again with the same arguments changes nothing more.
 */
export const REPLACE = { ...ADD, destructiveHint: true, idempotentHint: true } as const;

/** Runs a command of the model's choosing: it may do anything, anywhere. */
export const RUN = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
} as const;
