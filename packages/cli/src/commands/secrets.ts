/**
 * `hush secrets ...`: set, get, list, rm, history, rollback, envs (this file); push, pull,
 * diff (secrets-files.ts); run (secrets-run.ts). Values are end-to-end encrypted; the relay
 * sees blind indexes and version numbers only.
 */
import type { Command } from 'commander';
import type { Secret, SecretVersion } from '@hush/client';
import { globals, openHush } from '../context.js';
import { by, wrote } from '../entry-output.js';
import { usage } from '../errors.js';
import { readStdin } from '../input.js';
import { note, printJson, table, time } from '../output.js';
import {
  ifVersionOf,
  ifVersionOption,
  scopeOf,
  scopeOptions,
  type ScopeOptions,
} from '../scope.js';
import { register as registerFiles } from './secrets-files.js';
import { register as registerRun } from './secrets-run.js';

/** Splits `NAME=VALUE` arguments; `NAME=-` takes the value from stdin (one trailing newline dropped). */
async function pairsOf(args: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let fromStdin = false;
  for (const [i, a] of args.entries()) {
    const eq = a.indexOf('=');
    // The argument is never echoed: it may be a value typed without its name.
    if (eq <= 0) throw usage(`argument ${i + 1} is not NAME=VALUE`);
    const name = a.slice(0, eq);
    let value = a.slice(eq + 1);
    if (value === '-') {
      if (fromStdin) throw usage('only one NAME=- can read stdin');
      fromStdin = true;
      value = (await readStdin()).replace(/\r?\n$/, '');
    }
    if (Object.hasOwn(out, name)) throw usage(`${name} is given twice`);
    out[name] = value;
  }
  return out;
}

function hideValue<T extends { value?: string }>(x: T, reveal: boolean): Partial<T> {
  if (reveal) return x;
  const copy: Partial<T> = { ...x };
  delete copy.value;
  return copy;
}

/** Registers `hush secrets` and its subcommands. */
export function register(program: Command): void {
  const secrets = program
    .command('secrets')
    .summary('end-to-end encrypted secrets per team and environment (.env push, pull, run)')
    .description(
      'Secrets: named values per team and environment (default development). Names, values,\n' +
        'comments and environment names are encrypted; the relay sees blind indexes and versions.',
    )
    .addHelpText(
      'after',
      `
Examples:
  hush secrets set DATABASE_URL=postgres://db/app API_KEY=- --env production < key.txt
  hush secrets list --reveal
  hush secrets push .env && hush secrets pull --out .env
  hush secrets run -- npm start`,
    );

  scopeOptions(
    ifVersionOption(
      secrets
        .command('set')
        .summary('set one or more secrets (NAME=VALUE; NAME=- reads the value from stdin)')
        .argument('PAIRS...', 'NAME=VALUE pairs')
        .option('--comment <TEXT>', 'a comment stored with the value (encrypted)'),
    ),
    true,
  )
    .addHelpText(
      'after',
      `
A value that is already current writes nothing. --if-version makes the write a
compare-and-set (exit 7 when the secret moved on).

Examples:
  hush secrets set DATABASE_URL=postgres://db/app --comment "primary"
  pbpaste | hush secrets set TLS_KEY=- --env production`,
    )
    .action(
      async (
        args: string[],
        o: ScopeOptions & { comment?: string; ifVersion?: string },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const cas = ifVersionOf(o.ifVersion);
        const values = await pairsOf(args);
        if (cas.ifVersion !== undefined && Object.keys(values).length !== 1)
          throw usage('--if-version takes exactly one NAME=VALUE');
        const hush = await openHush(g);
        const results = await hush.secrets.setMany(values, {
          ...scopeOf(o),
          ...cas,
          ...(o.comment !== undefined ? { comment: o.comment } : {}),
        });
        if (g.json) return printJson(results);
        for (const r of results) wrote(r, 'set');
      },
    );

  scopeOptions(
    secrets
      .command('get')
      .summary('print one secret value alone on stdout')
      .argument('NAME', 'the secret name')
      .option('--no-newline', 'print the value without a newline after it'),
    true,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  export DATABASE_URL="$(hush secrets get DATABASE_URL --env production)"\n  hush secrets get TLS_KEY --no-newline > key.pem',
    )
    .action(async (name: string, o: ScopeOptions & { newline: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const s = await hush.secrets.get(name, scopeOf(o));
      if (g.json) return printJson(s);
      process.stdout.write(o.newline ? `${s.value}\n` : s.value);
    });

  scopeOptions(
    secrets
      .command('list')
      .summary('list the secret names of an environment (--reveal shows values)')
      .option('--reveal', 'show the values too'),
    true,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  hush secrets list\n  hush secrets list --env production --json | jq -r ".[].name"',
    )
    .action(async (o: ScopeOptions & { reveal?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const list: Secret[] = await hush.secrets.list(scopeOf(o));
      const reveal = o.reveal === true;
      if (g.json) return printJson(list.map((s) => hideValue(s, reveal)));
      table(
        ['NAME', 'VERSION', 'UPDATED', 'BY', 'COMMENT', ...(reveal ? ['VALUE'] : [])],
        list.map((s) => [
          s.name,
          s.version,
          time(s.updatedAt),
          by(s.author),
          s.comment,
          ...(reveal ? [s.value] : []),
        ]),
        `no secrets in ${o.env ?? 'development'}`,
      );
    });

  scopeOptions(
    secrets
      .command('rm')
      .summary('delete a secret (its history stays)')
      .argument('NAME', 'the secret name'),
    true,
  )
    .addHelpText('after', '\nExamples:\n  hush secrets rm OLD_TOKEN --env staging')
    .action(async (name: string, o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const r = await hush.secrets.delete(name, scopeOf(o));
      if (g.json) return printJson(r);
      wrote(r, 'deleted');
    });

  scopeOptions(
    secrets
      .command('history')
      .summary('every version of a secret, with author and time')
      .argument('NAME', 'the secret name')
      .option('--reveal', 'show the values too'),
    true,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  hush secrets history API_KEY\n  hush secrets history API_KEY --json --reveal',
    )
    .action(async (name: string, o: ScopeOptions & { reveal?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const versions: SecretVersion[] = await hush.secrets.history(name, scopeOf(o));
      const reveal = o.reveal === true;
      if (g.json) return printJson(versions.map((v) => hideValue(v, reveal)));
      table(
        ['VERSION', 'TIME', 'BY', 'CHANGE', 'COMMENT', ...(reveal ? ['VALUE'] : [])],
        versions.map((v) => [
          v.version,
          time(v.createdAt),
          by(v.author),
          v.deleted ? 'deleted' : 'set',
          v.comment,
          ...(reveal ? [v.value ?? ''] : []),
        ]),
      );
    });

  scopeOptions(
    secrets
      .command('rollback')
      .summary("write a new version holding an earlier version's value")
      .argument('NAME', 'the secret name')
      .argument('VERSION', 'the version whose value to restore'),
    true,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  hush secrets history API_KEY\n  hush secrets rollback API_KEY 3',
    )
    .action(async (name: string, version: string, o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      if (!/^[1-9]\d{0,14}$/.test(version)) throw usage(`"${version}" is not a version number`);
      const hush = await openHush(g);
      const r = await hush.secrets.rollback(name, Number(version), scopeOf(o));
      if (g.json) return printJson(r);
      note(
        r.changed
          ? `${r.name} in ${r.environment} holds the value of version ${version} again, as version ${r.version}`
          : `${r.name} in ${r.environment} already holds that value (version ${r.version})`,
      );
    });

  scopeOptions(secrets.command('envs').summary('the environments that hold secrets'), false)
    .addHelpText('after', '\nExamples:\n  hush secrets envs --team core')
    .action(async (o: ScopeOptions, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const envs = await hush.secrets.environments(scopeOf(o));
      if (g.json) return printJson(envs);
      table(
        ['ENVIRONMENT', 'SECRETS'],
        envs.map((e) => [e.name, e.secrets]),
        'no secrets in this team yet',
      );
    });

  registerFiles(secrets);
  registerRun(secrets);
}
