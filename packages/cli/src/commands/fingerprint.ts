/** `hush fingerprint [MEMBER]`: a safety number to compare out of band. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { note, out, printJson } from '../output.js';

/** Registers `hush fingerprint`. */
export function register(program: Command): void {
  program
    .command('fingerprint')
    .summary('show a safety number to compare out of band')
    .argument('[MEMBER]', 'a principal id or @name (default: yourself)')
    .addHelpText(
      'after',
      `
Compare the number over another channel (in person, a call): equal numbers mean no server
in between substituted a key.

Examples:
  hush fingerprint                # yours
  hush fingerprint @bob           # bob's, as your verified team chains name him`,
    )
    .action(async (member: string | undefined, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const fp = member === undefined ? hush.fingerprint() : await hush.fingerprintOf(member);
      if (g.json) {
        printJson({ member: member ?? null, fingerprint: fp });
        return;
      }
      out(fp);
      if (process.stdout.isTTY) note(member ? `safety number of ${member}` : 'your safety number');
    });
}
