/** Messages: send, the unread summary, read, acknowledge, and whole threads. */
import type { Hush, Message } from '@hush/client';
import * as z from 'zod';
import { ToolError, usage } from '../errors.js';
import { inboxOf, inboxSummary } from '../inbox.js';
import { ADD, defineTool, MARK, READ } from './tool.js';
import {
  fromMatches,
  MESSAGE_TYPES,
  message,
  messageOut,
  PRIORITIES,
  sent,
  sentOut,
  target,
  targetOf,
  UNTRUSTED,
} from './shapes.js';

/** A message id as the SDK prints it: 16 bytes in base64url. */
export const messageId = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/, 'a message id is 22 characters of base64url')
    .describe(what);

/** One verified message by id (synced first when it is not cached yet). */
export async function findMessage(hush: Hush, id: string): Promise<Message> {
  const m = (await hush.messages.thread(id)).find((x) => x.id === id);
  if (!m) throw new ToolError('NOT_FOUND', `no message ${id}`);
  return m;
}

/** Where an answer to `m` goes by default: its team, or the other side of a direct one. */
function replyTarget(hush: Hush, m: Message): string {
  if (m.team) return m.team.id;
  const me = hush.whoami().principalId;
  const other = m.from.principalId !== me ? m.from.principalId : m.to?.find((p) => p !== me);
  if (!other) throw usage('say where the answer goes: team or member');
  return `@${other}`;
}

const sendMessage = defineTool({
  name: 'send_message',
  title: 'Send a message',
  description:
    'Send an end-to-end encrypted message to a team (every member reads it) or directly to one member. ' +
    'Use type "request" when you need an answer (the other side answers with reply_to set to your message id; wait for it with wait_for_message), ' +
    '"response" to answer one (reply_to required; without team or member the answer goes where the request came from), "notification" for news. ' +
    'priority "blocking" means you wait for the answer before going on. Returns the new message id.',
  input: z.object({
    ...target,
    text: z.string().min(1).describe('the message (Markdown is fine), at most 1 MiB'),
    topic: z.string().max(256).optional().describe('a short subject, e.g. "deploy"'),
    type: z
      .enum(MESSAGE_TYPES)
      .optional()
      .describe('default: response with reply_to, else notification'),
    priority: z.enum(PRIORITIES).optional().describe('default normal'),
    reply_to: messageId('the id of the message this one answers').optional(),
  }),
  output: sent,
  annotations: ADD,
  run: async (a, { hush }) => {
    let to = targetOf(a);
    if (to === undefined) {
      if (a.reply_to === undefined)
        throw usage('say where it goes: team or member (or reply_to, to answer a message)');
      to = replyTarget(hush, await findMessage(hush, a.reply_to));
    }
    const ref = await hush.messages.send(to, {
      text: a.text,
      type: a.type ?? (a.reply_to !== undefined ? 'response' : 'notification'),
      ...(a.topic !== undefined ? { topic: a.topic } : {}),
      ...(a.priority !== undefined ? { priority: a.priority } : {}),
      ...(a.reply_to !== undefined ? { replyTo: a.reply_to } : {}),
    });
    return sentOut(ref);
  },
});

const checkInbox = defineTool({
  name: 'check_inbox',
  title: 'Check the inbox',
  description:
    'A summary of your unread messages (team and direct): counts of unread, urgent and requests, per team, and the oldest 20 with a preview. ' +
    'Marks nothing as read; use read_messages for the full texts. To block until something arrives, use wait_for_message instead of calling this in a loop. ' +
    UNTRUSTED,
  input: z.object({}),
  output: inboxSummary,
  annotations: READ,
  run: async (_, { hush }) => inboxOf(hush),
});

const readMessages = defineTool({
  name: 'read_messages',
  title: 'Read messages',
  description:
    'Full verified messages, oldest first, filtered by team, sender and topic; by default only unread ones, which are then marked read. ' +
    'With unread_only false it returns the latest messages, read or not. ' +
    UNTRUSTED,
  input: z.object({
    team: z.string().optional().describe('only this team (id or name); leaves out direct messages'),
    from: z.string().optional().describe('only from this member (principal id or display name)'),
    topic: z.string().optional().describe('only this exact topic'),
    unread_only: z.boolean().default(true),
    limit: z.number().int().min(1).max(100).default(20),
    mark_read: z.boolean().default(true).describe('mark the returned messages read'),
  }),
  output: z.object({
    messages: z.array(message),
    more: z.number().int().describe('matching messages not returned (raise limit or call again)'),
  }),
  annotations: MARK,
  run: async (a, { hush }) => {
    const all = (
      await hush.messages.inbox({
        unread: a.unread_only,
        ...(a.team !== undefined ? { team: a.team } : {}),
      })
    ).filter(
      (m) =>
        (a.from === undefined || fromMatches(m, a.from)) &&
        (a.topic === undefined || m.topic === a.topic),
    );
    // Unread: the oldest first, to be worked through in order; otherwise the latest.
    const picked = a.unread_only ? all.slice(0, a.limit) : all.slice(-a.limit);
    const out: Message[] = [];
    for (const m of picked) out.push(a.mark_read ? await hush.messages.read(m.id) : m);
    return { messages: out.map(messageOut), more: all.length - picked.length };
  },
});

const ackMessage = defineTool({
  name: 'ack_message',
  title: 'Acknowledge a message',
  description:
    'Mark a message as handled (and read). For a direct message the relay records it for all devices of your identity; for a team message it is recorded here only. Returns the message.',
  input: z.object({ id: messageId('the message id') }),
  output: message,
  annotations: MARK,
  run: async ({ id }, { hush }) => messageOut(await hush.messages.ack(id)),
});

const getThread = defineTool({
  name: 'get_thread',
  title: 'Get a thread',
  description:
    'The whole conversation a message belongs to: its root and every reply below it, oldest first, verified. Marks nothing read. ' +
    UNTRUSTED,
  input: z.object({ id: messageId('any message of the thread') }),
  output: z.object({ messages: z.array(message) }),
  annotations: READ,
  run: async ({ id }, { hush }) => ({
    messages: (await hush.messages.thread(id)).map(messageOut),
  }),
});

/** The message tools (wait_for_message is in wait.ts). */
export const messageTools = [sendMessage, checkInbox, readMessages, ackMessage, getThread];
