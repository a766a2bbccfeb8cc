/** `hush watch [--team T]`: live events over SSE, resuming after a disconnect. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { messageLine, snippetLine } from '../format.js';
import { note, out } from '../output.js';

/** Registers `hush watch`. */
export function register(program: Command): void {
  program
    .command('watch')
    .summary('print new verified messages and snippets as they arrive (Ctrl-C stops)')
    .option('--team <TEAM>', 'only this team (id or name)')
    .addHelpText(
      'after',
      `
Each message and snippet is verified before it is shown: a snippet line names its title,
language and place (get it with hush snippet ID). With --json each event is one JSON line
(NDJSON: "message", "snippet", "team", "reconnecting", "ready"). A dropped connection
resumes where it stopped; nothing is missed or shown twice.

Examples:
  hush watch
  hush watch --team core --json | while read -r ev; do ...; done`,
    )
    .action(async (o: { team?: string }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      if (!g.json) note('watching for new messages and snippets (Ctrl-C stops)');
      for await (const ev of hush.watch({
        ...(o.team !== undefined ? { team: o.team } : {}),
        signal: stop.signal,
      })) {
        if (g.json) {
          out(JSON.stringify(ev));
        } else if (ev.type === 'message') {
          messageLine(ev.message);
        } else if (ev.type === 'snippet') {
          snippetLine(ev.snippet);
        } else if (ev.type === 'team') {
          out(`team ${ev.team}: ${ev.event}`);
        } else if (ev.type === 'reconnecting') {
          note(`connection lost (${ev.reason}); reconnecting`);
        }
      }
    });
}
