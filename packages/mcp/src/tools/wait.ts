/**
 * `wait_for_message`: blocks until a matching message arrives, so agents coordinate without
 * polling. It looks at the verified cache (synced from the relay on the first look), and
 * between looks sleeps until the SSE watch verified something new; it never holds the
 * session lock while it sleeps.
 */
import type { Message } from '@hush/client';
import * as z from 'zod';
import { ToolError } from '../errors.js';
import { defineTool, ADD, type ToolContext } from './tool.js';
import { messageId } from './messages.js';
import { fromMatches, MESSAGE_TYPES, message, messageOut, UNTRUSTED } from './shapes.js';

const MAX_SECONDS = 300;
/** How often a long wait reports progress (which also keeps clients' timeouts from firing). */
const TICK_MS = 10_000;

const input = z.object({
  team: z.string().optional().describe('only messages of this team (id or name)'),
  from: z.string().optional().describe('only from this member (principal id or display name)'),
  topic: z.string().optional().describe('only this exact topic'),
  type: z.enum(MESSAGE_TYPES).optional(),
  reply_to: messageId('only answers to this message (e.g. the request you sent)').optional(),
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_SECONDS)
    .default(30)
    .describe(`how long to wait, 1 to ${MAX_SECONDS} seconds`),
});

type Filter = z.output<typeof input>;

function matches(m: Message, f: Filter, me: string): boolean {
  return (
    m.from.principalId !== me &&
    (f.team === undefined || m.team?.id === f.team || m.team?.name === f.team) &&
    (f.from === undefined || fromMatches(m, f.from)) &&
    (f.topic === undefined || m.topic === f.topic) &&
    (f.type === undefined || m.type === f.type) &&
    (f.reply_to === undefined || m.replyTo === f.reply_to)
  );
}

/** The oldest unread match, marked read; `sync` asks the relay first. */
async function look(ctx: ToolContext, f: Filter, sync: boolean): Promise<Message | undefined> {
  return ctx.session.exclusive(
    async (hush) => {
      const me = hush.whoami().principalId;
      const team = f.team !== undefined ? { team: f.team } : {};
      let unread: Message[];
      try {
        unread = await hush.messages.inbox({ unread: true, offline: !sync, ...team });
      } catch (e) {
        if ((e as { kind?: unknown }).kind !== 'NETWORK') throw e;
        unread = await hush.messages.inbox({ unread: true, offline: true, ...team });
      }
      const m = unread.find((x) => matches(x, f, me));
      return m && (await hush.messages.read(m.id));
    },
    { poke: false },
  );
}

/** Resolves with 'changed', 'tick' or 'aborted', whichever comes first. */
function until(changed: Promise<void>, ms: number, signal: AbortSignal) {
  return new Promise<'changed' | 'tick' | 'aborted'>((resolve, reject) => {
    const timer = setTimeout(() => done('tick'), ms);
    const onAbort = () => done('aborted');
    function done(r: 'changed' | 'tick' | 'aborted') {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    }
    if (signal.aborted) return done('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    changed.then(
      () => done('changed'),
      (e: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const waitForMessage = defineTool({
  name: 'wait_for_message',
  title: 'Wait for a message',
  description:
    'Block until a message matching the filter arrives (or is already waiting unread), then return it and mark it read. ' +
    'Use it instead of polling check_inbox: after sending a request, wait with reply_to set to its id; to take work, wait with type "request". ' +
    'Messages you sent yourself never match. On timeout it returns timedOut true and no message; call it again to keep waiting. ' +
    UNTRUSTED,
  input,
  output: z.object({
    message: message.optional(),
    timedOut: z.boolean(),
    waitedSeconds: z.number(),
  }),
  annotations: ADD,
  locking: 'self',
  run: async (f, ctx) => {
    const start = Date.now();
    const deadline = start + f.timeout_seconds * 1000;
    const waited = () => Math.round((Date.now() - start) / 100) / 10;
    for (let first = true; ; first = false) {
      // Registered before the look, so nothing verified after it can be missed.
      const changed = ctx.session.watcher.next();
      const m = await look(ctx, f, first);
      if (m) return { message: messageOut(m), timedOut: false, waitedSeconds: waited() };
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return { timedOut: true, waitedSeconds: waited() };
        const r = await until(changed, Math.min(left, TICK_MS), ctx.signal);
        if (r === 'aborted') throw new ToolError('USAGE', 'the wait was cancelled');
        if (r === 'changed') break;
        await ctx.progress(Date.now() - start, f.timeout_seconds * 1000, 'waiting for a message');
      }
    }
  },
});

/** The waiting tool. */
export const waitTools = [waitForMessage];
