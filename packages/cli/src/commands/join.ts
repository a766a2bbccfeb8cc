/** `hush join TOKEN`: join a team with an invite token. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { valueOrAsk } from '../input.js';
import { note, out, printJson } from '../output.js';

/** Registers `hush join`. */
export function register(program: Command): void {
  program
    .command('join')
    .summary('join a team with an invite token')
    .argument('[TOKEN]', 'the invite token (asked for on a terminal when omitted)')
    .addHelpText(
      'after',
      `
The team's chain is verified against the team id inside the token before anything is
accepted, so a relay cannot hand you a different team.

Examples:
  hush join "$TOKEN"`,
    )
    .action(async (token: string | undefined, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const t = await valueOrAsk(token, 'TOKEN', 'Invite token');
      const hush = await openHush(g);
      const team = await hush.join(t.trim());
      if (g.json) return printJson(team);
      out(team.id);
      note(`joined team "${team.name}" as ${team.role}`);
    });
}
