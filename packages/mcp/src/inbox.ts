/**
 * The unread summary: what `check_inbox` returns and what the `hush://inbox` resource
 * holds. Counts, then the oldest unread messages with a short preview each.
 */
import type { Hush, Message } from '@hush/client';
import * as z from 'zod';
import { messageHeader, messageHeaderOut } from './tools/shapes.js';

/** The inbox resource's URI. */
export const INBOX_URI = 'hush://inbox';

const SHOWN = 20;
const PREVIEW = 200;

export const inboxSummary = z.object({
  synced: z
    .boolean()
    .describe('false: the relay was unreachable, this is what was verified before'),
  unread: z.number().int(),
  urgent: z.number().int().describe('unread messages of priority urgent or blocking'),
  requests: z.number().int().describe('unread requests: someone waits for an answer'),
  direct: z.number().int().describe('unread direct messages'),
  byTeam: z.array(z.object({ id: z.string(), name: z.string(), unread: z.number().int() })),
  messages: z
    .array(
      messageHeader.extend({
        preview: z.string().describe(`the first ${PREVIEW} characters of the text`),
      }),
    )
    .describe(`the oldest ${SHOWN} unread messages`),
  more: z.number().int().describe('unread messages not shown here'),
});

/** Counts and previews of unread messages, oldest first. */
export function summarize(
  unread: readonly Message[],
  synced: boolean,
): z.output<typeof inboxSummary> {
  const teams = new Map<string, { id: string; name: string; unread: number }>();
  for (const m of unread)
    if (m.team) {
      const t = teams.get(m.team.id) ?? { ...m.team, unread: 0 };
      t.unread++;
      teams.set(m.team.id, t);
    }
  return {
    synced,
    unread: unread.length,
    urgent: unread.filter((m) => m.priority !== 'normal').length,
    requests: unread.filter((m) => m.type === 'request').length,
    direct: unread.filter((m) => m.direct).length,
    byTeam: [...teams.values()],
    messages: unread.slice(0, SHOWN).map((m) => ({
      ...messageHeaderOut(m),
      preview: m.text.length > PREVIEW ? `${m.text.slice(0, PREVIEW)}…` : m.text,
    })),
    more: Math.max(0, unread.length - SHOWN),
  };
}

/**
 * The unread summary, synced from the relay first; from the verified cache alone when
 * `offline` (or when the relay cannot be reached).
 */
export async function inboxOf(hush: Hush, offline = false): Promise<z.output<typeof inboxSummary>> {
  try {
    return summarize(await hush.messages.inbox({ unread: true, offline }), !offline);
  } catch (e) {
    if ((e as { kind?: unknown }).kind !== 'NETWORK') throw e;
    return summarize(await hush.messages.inbox({ unread: true, offline: true }), false);
  }
}
