/** `hush inbox`, `hush read ID`, `hush ack ID`, `hush thread ID`. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { messageFull, messageTable } from '../format.js';
import { note, out, printJson } from '../output.js';

/** Registers the message reading commands. */
export function register(program: Command): void {
  program
    .command('inbox')
    .summary('list verified messages, newest last')
    .option('--team <TEAM>', 'only this team (id or name)')
    .option('--unread', 'only messages not yet read')
    .addHelpText(
      'after',
      `
Every message shown was verified: its signature, its author's membership and role, and the
team key it was sealed under. '*' marks unread, '!' urgent or blocking.

Examples:
  hush inbox
  hush inbox --team core --unread
  hush inbox --json | jq '.[].text'`,
    )
    .action(async (o: { team?: string; unread?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const messages = await hush.messages.inbox({
        ...(o.team !== undefined ? { team: o.team } : {}),
        ...(o.unread ? { unread: true } : {}),
      });
      if (g.json) return printJson(messages);
      messageTable(messages, o.unread ? 'no unread messages' : 'no messages');
    });

  program
    .command('read')
    .summary('show a message and mark it read')
    .argument('ID', 'message id')
    .addHelpText('after', '\nExamples:\n  hush read 8V3x...')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const m = await hush.messages.read(id);
      if (g.json) return printJson(m);
      messageFull(m);
    });

  program
    .command('ack')
    .summary('acknowledge a message (the sender can see it was handled)')
    .argument('ID', 'message id')
    .addHelpText('after', '\nExamples:\n  hush ack 8V3x...')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      await hush.messages.ack(id);
      if (g.json) return printJson({ id, acked: true });
      note(`acknowledged ${id}`);
    });

  program
    .command('thread')
    .summary('a message with its replies, oldest first')
    .argument('ID', 'any message id of the thread')
    .addHelpText('after', '\nExamples:\n  hush thread 8V3x...\n  hush thread 8V3x... --json')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const messages = await hush.messages.thread(id);
      if (g.json) return printJson(messages);
      messages.forEach((m, i) => {
        if (i > 0) out('');
        messageFull(m);
      });
    });
}
