/** How messages look in human output. */
import type { Message } from '@hush/client';
import { cell, out, table, time } from './output.js';

function from(m: Message): string {
  return m.from.name ? `${m.from.name}` : m.from.principalId.slice(0, 12);
}

function where(m: Message): string {
  return m.team ? m.team.name : 'direct';
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
