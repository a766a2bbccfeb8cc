/**
 * `hush kv set|get|list|rm|watch`: end-to-end encrypted key-value data, one JSON value per
 * key, versioned with compare-and-set like secrets. Keys starting with `hush:` are reserved.
 */
import type { Command } from 'commander';
import type { KvEntry } from '@hush/client';
import { globals, openHush } from '../context.js';
import { by, wrote } from '../entry-output.js';
import { usage } from '../errors.js';
import { readStdin } from '../input.js';
import { cell, note, out, printJson, table, time } from '../output.js';
import {
  ifVersionOf,
  ifVersionOption,
  scopeOf,
  scopeOptions,
  type ScopeOptions,
} from '../scope.js';

/** The first line of a JSON text, cut to fit a table column. */
function short(json: string, max = 60): string {
  const one = cell(json.trim().split('\n')[0] ?? '');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Registers `hush kv` and its subcommands. */
export function register(program: Command): void {
  const kv = program
    .command('kv')
    .summary('end-to-end encrypted key-value data (JSON values)')
    .description(
      'Key-value data: one JSON value per key, versioned, with compare-and-set.\n' +
        'Keys and values are encrypted; the relay sees blind indexes and versions.',
    )
    .addHelpText(
      'after',
      `
Examples:
  hush kv set deploy/lock '{"by": "ci"}' --if-version 0
  hush kv get deploy/lock
  hush kv watch`,
    );

  scopeOptions(
    ifVersionOption(
      kv
        .command('set')
        .summary('set a key to a JSON value (- reads it from stdin, less one trailing newline)')
        .argument('KEY', 'the key')
        .argument('JSON', 'a JSON text (with --string: any text, stored as a JSON string)')
        .option('--string', 'store the argument as a JSON string')
        .option('--comment <TEXT>', 'a comment stored with the value (encrypted)'),
    ),
    false,
  )
    .addHelpText(
      'after',
      `
The JSON text is stored as written (checked, not reformatted). --if-version makes the
write a compare-and-set: exit 7 when the key is not at that version (0: not set yet).

Examples:
  hush kv set config/timeout 30
  hush kv set release/notes --string "ship it"
  hush kv set deploy/lock '{"by":"ci"}' --if-version 0`,
    )
    .action(
      async (
        key: string,
        text: string,
        o: ScopeOptions & { string?: boolean; comment?: string; ifVersion?: string },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const cas = ifVersionOf(o.ifVersion);
        // As for secrets: one trailing newline (what `echo` adds) is not part of the value.
        const raw = text === '-' ? (await readStdin()).replace(/\r?\n$/, '') : text;
        const hush = await openHush(g);
        const r = await hush.kv.set(key, raw, {
          ...scopeOf(o),
          ...cas,
          raw: o.string !== true,
          ...(o.comment !== undefined ? { comment: o.comment } : {}),
        });
        if (g.json) return printJson(r);
        wrote(r, 'set');
      },
    );

  scopeOptions(
    kv.command('get').summary('print the JSON value of a key').argument('KEY', 'the key'),
    false,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  hush kv get config/timeout\n  hush kv get deploy/lock --json',
    )
    .action(async (key: string, o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const e = await hush.kv.get(key, scopeOf(o));
      if (g.json) return printJson(e);
      out(e.json);
    });

  scopeOptions(kv.command('list').summary('list keys and values'), false)
    .addHelpText('after', '\nExamples:\n  hush kv list\n  hush kv list --json')
    .action(async (o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const list: KvEntry[] = await hush.kv.list(scopeOf(o));
      if (g.json) return printJson(list);
      table(
        ['KEY', 'VERSION', 'UPDATED', 'BY', 'VALUE'],
        list.map((e) => [e.key, e.version, time(e.updatedAt), by(e.author), short(e.json)]),
        'no keys set',
      );
    });

  scopeOptions(
    ifVersionOption(kv.command('rm').summary('delete a key').argument('KEY', 'the key')),
    false,
  )
    .addHelpText('after', '\nExamples:\n  hush kv rm deploy/lock --if-version 4')
    .action(async (key: string, o: ScopeOptions & { ifVersion?: string }, cmd: Command) => {
      const g = globals(cmd);
      const cas = ifVersionOf(o.ifVersion);
      const hush = await openHush(g);
      const r = await hush.kv.delete(key, { ...scopeOf(o), ...cas });
      if (g.json) return printJson(r);
      wrote(r, 'deleted');
    });

  scopeOptions(
    kv
      .command('watch')
      .summary('print changes as they happen (Ctrl-C stops)')
      .argument('[KEYS...]', 'only these keys'),
    false,
  )
    .addHelpText(
      'after',
      `
With --json each change is one JSON line (NDJSON). A dropped connection resumes where it
stopped.

Examples:
  hush kv watch
  hush kv watch deploy/lock --json`,
    )
    .action(async (keys: string[], o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      if (keys.some((k) => k === '')) throw usage('a key is not empty');
      const hush = await openHush(g);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      for await (const ev of hush.kv.watch({
        ...scopeOf(o),
        ...(keys.length > 0 ? { keys } : {}),
        signal: stop.signal,
      })) {
        if (g.json) out(JSON.stringify(ev));
        else if (ev.type === 'ready') note('watching for changes (Ctrl-C stops)');
        else if (ev.type === 'set')
          out(
            `${time(ev.entry.updatedAt)}  ${cell(ev.entry.key)} = ${short(ev.entry.json, 200)}  (version ${ev.entry.version} by ${cell(by(ev.entry.author))})`,
          );
        else if (ev.type === 'deleted')
          out(`${cell(ev.key)} deleted  (version ${ev.version} by ${cell(by(ev.author))})`);
        else note(`connection lost (${ev.reason}); reconnecting`);
      }
    });
}
