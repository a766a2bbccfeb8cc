/** `hush share FILE[:START-END]` and `hush share --diff [GIT-DIFF-ARGS]`: share code. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { globals, openHush } from '../context.js';
import { usage } from '../errors.js';
import { note, out, printJson } from '../output.js';

interface ShareFlags {
  readonly to?: string;
  readonly title?: string;
  readonly note?: string;
  readonly diff?: boolean;
}

/**
 * Splits `FILE[:START[-END]]`. A name that exists as typed wins, so a file whose name ends
 * in `:12` can still be shared whole.
 */
export function parseFileArg(
  arg: string,
  exists: (p: string) => boolean = existsSync,
): { file: string; lines?: { first: number; last: number } } {
  const m = /^(.+):(\d+)(?:-(\d+))?$/.exec(arg);
  if (!m || exists(arg)) return { file: arg };
  const first = Number(m[2]);
  const last = m[3] === undefined ? first : Number(m[3]);
  if (first < 1 || last < first) throw usage(`bad line range in ${arg}: need 1 <= START <= END`);
  return { file: m[1] as string, lines: { first, last } };
}

/** Registers `hush share`. */
export function register(program: Command): void {
  program
    .command('share')
    .summary('share a file, a line range or a git diff with a team or a member')
    .argument('[ARGS...]', 'FILE[:START-END], or with --diff the arguments of git diff')
    .option('--to <TARGET>', 'a team (id or name) or @MEMBER (default: your only team)')
    .option('--title <TITLE>', 'a title (default: the path and range, or the git diff command)')
    .option('--note <NOTE>', 'a note to go with it')
    .option('--diff', 'share the patch `git diff GIT-DIFF-ARGS` prints')
    .allowUnknownOption(true)
    .addHelpText(
      'after',
      `
Records the language, the path from the repository root, the line range, the git remote
(credentials removed) and the commit. Prints the snippet id on stdout. With --diff, put
hush's own options first; after "--" everything goes to git diff as written.

Examples:
  hush share src/net.ts:10-24 --to core --note "the retry loop"
  hush share README.md --to @bob
  hush share --diff --to core             # unstaged changes
  hush share --diff --to core -- --cached
  hush share --diff --to core -- HEAD~1 -- src/`,
    )
    .action(async (args: string[], o: ShareFlags, cmd: Command) => {
      const g = globals(cmd);
      let what: { file: string; lines?: { first: number; last: number } } | undefined;
      if (!o.diff) {
        const bad = args.find((a) => a.startsWith('-'));
        if (bad !== undefined) throw usage(`unknown option '${bad}'`);
        if (args.length !== 1) throw usage('share takes one FILE[:START-END] (or --diff)');
        what = parseFileArg(args[0] as string);
      }
      const hush = await openHush(g);
      const ref = await hush.snippets.share({
        ...(what ?? { diffArgs: args }),
        ...(o.to !== undefined ? { target: o.to } : {}),
        ...(o.title !== undefined ? { title: o.title } : {}),
        ...(o.note !== undefined ? { note: o.note } : {}),
      });
      if (g.json) return printJson(ref);
      out(ref.id);
      if (ref.queued)
        note('the relay is unreachable: queued in the outbox, sent by the next command');
    });
}
