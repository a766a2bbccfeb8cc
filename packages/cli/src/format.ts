/** How messages and snippets look in human output. */
import type { Message, Snippet } from '@hush/client';
import { cell, out, table, time } from './output.js';

type Item = Pick<Message, 'from' | 'team'>;

function from(m: Item): string {
  return m.from.name ? `${m.from.name}` : m.from.principalId.slice(0, 12);
}

function where(m: Item): string {
  return m.team ? m.team.name : 'direct';
}

/** Where a snippet points: `path:first-last`, `path`, or `patch`. */
export function snippetWhere(s: Snippet): string {
  if (s.kind === 'patch') return s.path ? `patch ${s.path}` : 'patch';
  const range = s.lines ? `:${s.lines.first}-${s.lines.last}` : '';
  return `${s.path}${range}`;
}

/** One line for a live snippet: time, author, where, title, language and place. */
export function snippetLine(s: Snippet): void {
  const about = [s.language, snippetWhere(s)].filter(Boolean).join(', ');
  out(
    `${time(s.createdAt)}  ${cell(from(s))} in ${cell(where(s))}: snippet "${cell(s.title)}"${about ? ` (${cell(about)})` : ''}  (${s.id})`,
  );
}

function flags(m: Message): string {
  return `${m.read ? ' ' : '*'}${m.priority === 'normal' ? ' ' : '!'}`;
}

/** One line per message, newest last: aligned columns, the text cut to the terminal. */
export function messageTable(messages: readonly Message[], empty: string): void {
  const cols = process.stdout.columns ?? 120;
  table(
    ['', 'ID', 'TIME', 'FROM', 'IN', 'TOPIC', 'TEXT'],
    messages
      .map((m) => [flags(m), m.id, time(m.createdAt), from(m), where(m), m.topic, m.text])
      .map((r) => {
        const text = cell(r[6]).split('\n')[0] ?? '';
        const max = Math.max(20, cols - 90);
        return [...r.slice(0, 6), text.length > max ? `${text.slice(0, max - 1)}…` : text];
      }),
    empty,
  );
}

/** One line for a live event: time, author, where, topic and the first line of the text. */
export function messageLine(m: Message): void {
  const text = cell(m.text.split('\n')[0] ?? '');
  out(
    `${time(m.createdAt)}  ${cell(from(m))} in ${cell(where(m))}${m.topic ? ` [${cell(m.topic)}]` : ''}: ${text}  (${m.id})`,
  );
}

/** A whole message with its header lines. */
export function messageFull(m: Message): void {
  out(`id:       ${m.id}`);
  out(`from:     ${from(m)} (${m.from.principalId})`);
  out(`in:       ${where(m)}`);
  out(`time:     ${time(m.createdAt)}`);
  if (m.topic) out(`topic:    ${cell(m.topic)}`);
  out(`type:     ${m.type}, ${m.priority}`);
  if (m.replyTo) out(`reply to: ${m.replyTo}`);
  out();
  out(m.text);
}
