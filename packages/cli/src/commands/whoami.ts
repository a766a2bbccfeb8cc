/** `hush whoami`: this device's principal, device, kind, server and fingerprint. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { fields, identityRows, printJson } from '../output.js';

/** Registers `hush whoami`. */
export function register(program: Command): void {
  program
    .command('whoami')
    .summary('show this identity')
    .addHelpText('after', '\nExamples:\n  hush whoami\n  hush whoami --json')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const me = hush.whoami();
      if (g.json) {
        printJson(me);
        return;
      }
      fields(identityRows(me, { kind: true }));
    });
}
