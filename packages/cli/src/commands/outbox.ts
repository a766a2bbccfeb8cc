/** `hush outbox [list|flush]`: messages sealed while the relay was unreachable. */
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { note, printJson, table, time } from '../output.js';

/** Registers `hush outbox`. */
export function register(program: Command): void {
  const outbox = program
    .command('outbox')
    .summary('messages waiting for the relay (sent by every later command)')
    .addHelpText('after', '\nExamples:\n  hush outbox list\n  hush outbox flush');

  outbox
    .command('list', { isDefault: true })
    .summary('list queued envelopes')
    .addHelpText('after', '\nExamples:\n  hush outbox list --json')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const items = await hush.outbox.list();
      if (g.json)
        return printJson(
          items.map((e) => ({
            kind: e.kind,
            team: e.team,
            objectId: e.objectId,
            queuedAt: e.queuedAt,
          })),
        );
      table(
        ['ID', 'KIND', 'TEAM', 'QUEUED'],
        items.map((e) => [e.objectId, e.kind, e.team ?? '', time(e.queuedAt)]),
        'the outbox is empty',
      );
    });

  outbox
    .command('flush')
    .summary('deliver queued envelopes now')
    .addHelpText('after', '\nExamples:\n  hush outbox flush')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const r = await hush.outbox.flush();
      if (g.json) return printJson(r);
      note(
        `delivered ${r.delivered.length}, refused ${r.failed.length}, still queued ${r.remaining}`,
      );
    });
}
