/**
 * `hush secrets push|pull|diff`: an environment and a `.env` file. push sets what the file
 * adds or changes (`--prune` deletes what it lacks); pull writes the environment atomically
 * with mode 0600, refusing to replace a file edited since the last pull unless `--force`;
 * diff names what differs (never a value) and exits 0 in sync, 1 on drift.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { EnvDiff, PullFormat } from '@hush/client';
import { globals, openHush } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { note, out, printJson } from '../output.js';
import { scopeOf, scopeOptions, type ScopeOptions } from '../scope.js';

/** Reads a `.env` file as UTF-8 (exit 6 when missing). */
async function readEnvFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(EXIT.notFound, `no file ${file}`);
    throw new CliError(EXIT.usage, `cannot read ${file} (${code ?? 'error'})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(EXIT.usage, `${file} is not UTF-8 text`);
  }
}

/** `+`, `-` and `~` lines for a diff (names only). */
function diffLines(d: EnvDiff, file: string, env: string): void {
  for (const n of d.added) out(`+ ${n}  (in ${file}, not in ${env})`);
  for (const n of d.removed) out(`- ${n}  (in ${env}, not in ${file})`);
  for (const n of d.changed) out(`~ ${n}  (values differ: ***** vs *****)`);
}

const count = (d: EnvDiff) => d.added.length + d.removed.length + d.changed.length;

/** diff's exit code on drift: 1, as diff(1) has it (not a bug here). */
const DRIFT = EXIT.bug;

/** Registers push, pull and diff under `hush secrets`. */
export function register(secrets: Command): void {
  scopeOptions(
    secrets
      .command('push')
      .summary('set the secrets a .env file adds or changes (--prune: delete the rest)')
      .argument('[FILE]', 'the .env file', '.env')
      .option('--prune', 'also delete secrets the file does not name'),
    true,
  )
    .addHelpText(
      'after',
      `
The file is parsed first (a malformed line is an error naming its line; nothing is
written). Each changed name is its own compare-and-set; names whose value is already
current write nothing, so a second push is a no-op.

Examples:
  hush secrets push
  hush secrets push .env.production --env production --prune`,
    )
    .action(async (file: string, o: ScopeOptions & { prune?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const text = await readEnvFile(file);
      const hush = await openHush(g);
      const r = await hush.secrets.push(text, {
        ...scopeOf(o),
        ...(o.prune ? { prune: true } : {}),
      });
      if (g.json) return printJson(r);
      const env = o.env ?? 'development';
      for (const n of r.added) note(`+ ${n}`);
      for (const n of r.changed) note(`~ ${n}`);
      for (const n of r.removed) note(`- ${n}`);
      note(
        `pushed ${file} to ${env}: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.unchanged} unchanged`,
      );
    });

  scopeOptions(
    secrets
      .command('pull')
      .summary('write an environment as a .env file, JSON or shell exports')
      .option('--out <FILE>', 'write to FILE (atomically, mode 0600) instead of stdout')
      .addOption(
        new Option('--format <FORMAT>', 'output format')
          .choices(['dotenv', 'json', 'shell'])
          .default('dotenv'),
      )
      .option('--force', 'replace FILE even if it changed since the last pull'),
    true,
  )
    .addHelpText(
      'after',
      `
With --out, hush remembers a salted hash of what it wrote and refuses (exit 7) to replace a
file that no longer matches it: a local edit, or a file hush did not write.

Examples:
  hush secrets pull --out .env
  eval "$(hush secrets pull --format shell --env staging)"`,
    )
    .action(
      async (
        o: ScopeOptions & { out?: string; format: PullFormat; force?: boolean },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const hush = await openHush(g);
        const r = await hush.secrets.pull({
          ...scopeOf(o),
          format: o.format,
          ...(o.out !== undefined ? { out: o.out } : {}),
          ...(o.force ? { force: true } : {}),
        });
        if (!r.file) return void process.stdout.write(r.text);
        if (g.json)
          return printJson({ path: r.file.path, written: r.file.written, count: r.count });
        note(
          r.file.written
            ? `wrote ${r.count} secrets to ${o.out ?? ''}`
            : `${o.out ?? ''} already holds these ${r.count} secrets`,
        );
      },
    );

  scopeOptions(
    secrets
      .command('diff')
      .summary('names added, removed and changed between a .env file and the team')
      .argument('[FILE]', 'the .env file', '.env'),
    true,
  )
    .addHelpText(
      'after',
      `
Values are never shown. Exit 0 when the file and the environment hold the same names and
values, 1 when they drift (as diff(1) does), so CI can gate on it.

Examples:
  hush secrets diff
  hush secrets diff .env.production --env production --json`,
    )
    .action(async (file: string, o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      const text = await readEnvFile(file);
      const hush = await openHush(g);
      const d = await hush.secrets.diff(text, scopeOf(o));
      const env = o.env ?? 'development';
      if (g.json) printJson({ ...d, inSync: count(d) === 0 });
      else diffLines(d, file, env);
      if (count(d) > 0) throw new CliError(DRIFT, `${file} and ${env} differ in ${count(d)} names`);
      if (!g.json) note(`${file} and ${env} are in sync`);
    });
}
