/** `hush snippets [--from MEMBER] [--team T]`: list verified snippets. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { snippetWhere } from '../format.js';
import { printJson, table, time } from '../output.js';

/** Registers `hush snippets`. */
export function register(program: Command): void {
  program
    .command('snippets')
    .summary('list verified snippets and patches, newest last')
    .option('--from <MEMBER>', 'only those shared by this member (id or name)')
    .option('--team <TEAM>', 'only this team (id or name)')
    .addHelpText(
      'after',
      `
Examples:
  hush snippets
  hush snippets --from bob --json | jq '.[].title'`,
    )
    .action(async (o: { from?: string; team?: string }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const list = await hush.snippets.list({
        ...(o.from !== undefined ? { from: o.from } : {}),
        ...(o.team !== undefined ? { team: o.team } : {}),
      });
      if (g.json) return printJson(list);
      table(
        ['ID', 'TIME', 'FROM', 'IN', 'LANG', 'WHERE', 'TITLE'],
        list.map((s) => [
          s.id,
          time(s.createdAt),
          s.from.name || s.from.principalId.slice(0, 12),
          s.team ? s.team.name : 'direct',
          s.language,
          snippetWhere(s),
          s.title,
        ]),
        'no snippets',
      );
    });
}
