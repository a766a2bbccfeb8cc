/**
 * `hush file put|list|get|rm`: encrypted files of any size for a team or a member. Content
 * is STREAM-encrypted in chunks and streamed both ways in constant memory; an interrupted
 * put or get continues where it stopped when run again; a download reaches its path only
 * once verified (docs/CLIENT.md "Files").
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { FileInfo, Hush } from '@hush/client';
import { globals, openHush, type Globals } from '../context.js';
import { usage } from '../errors.js';
import { cell, note, out, printJson, table, time } from '../output.js';
import { bytes, progressBar } from '../progress.js';

interface PutOptions {
  readonly team?: string;
  readonly to?: string;
  readonly name?: string;
  readonly type?: string;
}

/** The team of a put: --team, else HUSH_TEAM (else the SDK takes the only team). */
function teamOf(o: { team?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return o.team ?? (env.HUSH_TEAM ? env.HUSH_TEAM : undefined);
}

function who(f: FileInfo): string {
  return f.from.name || f.from.principalId.slice(0, 12);
}

async function put(hush: Hush, g: Globals, paths: readonly string[], o: PutOptions) {
  if (paths.filter((p) => p === '-').length > 1) throw usage('stdin (-) can be read only once');
  if (paths.includes('-') && o.name === undefined)
    throw usage('a file read from stdin needs --name');
  if (paths.length > 1 && o.name !== undefined) throw usage('--name names one file: give one PATH');
  if (o.to !== undefined && o.team !== undefined) throw usage('use --team or --to, not both');
  const team = o.to === undefined ? teamOf(o) : undefined;
  const refs = [];
  for (const p of paths) {
    const label = o.name ?? (p === '-' ? 'stdin' : basename(p));
    const bar = progressBar(cell(label), !g.json);
    const ref = await hush.files.put(p === '-' ? process.stdin : p, {
      ...(team !== undefined ? { team } : {}),
      ...(o.to !== undefined ? { to: o.to } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
      ...(o.type !== undefined ? { mediaType: o.type } : {}),
      onProgress: (x) => bar.update(x),
    });
    bar.finish();
    refs.push(ref);
    if (g.json) continue;
    out(ref.id);
    const resumed =
      ref.sentChunks < ref.chunkCount
        ? `, resumed: ${ref.chunkCount - ref.sentChunks} of ${ref.chunkCount} chunks were already there`
        : '';
    note(`sent ${cell(ref.name)} (${bytes(ref.size)})${resumed}`);
    if (ref.queued) note('the relay is unreachable: the manifest is queued in the outbox');
  }
  if (g.json) printJson(refs);
}

async function get(hush: Hush, g: Globals, ref: string, o: { out?: string; team?: string }) {
  const toStdout = o.out === '-';
  if (toStdout && g.json) throw usage('--out - writes the file to stdout: leave out --json');
  // Without --out the file goes to this directory under its own name, never over a file.
  const target = o.out ?? process.cwd();
  const bar = progressBar(cell(o.out === undefined ? ref : basename(target)), !g.json);
  const r = await hush.files.get(ref, {
    out: toStdout ? process.stdout : target,
    ...(o.out === undefined ? { overwrite: false } : {}),
    ...(o.team !== undefined ? { team: o.team } : {}),
    onProgress: (x) => bar.update(x),
  });
  bar.finish();
  const f = r.file;
  if (g.json)
    return printJson({
      id: f.id,
      name: f.name,
      size: f.size,
      sha256: f.sha256,
      out: r.out,
      resumedAt: r.resumedAt,
    });
  if (toStdout) return;
  const resumed = r.resumedAt > 0 ? `, resumed after ${bytes(r.resumedAt)}` : '';
  note(`wrote ${cell(f.name)} (${bytes(f.size)}, SHA-256 verified) to ${cell(r.out)}${resumed}`);
}

/** Registers `hush file`. */
export function register(program: Command): void {
  const file = program
    .command('file')
    .summary('send, list, get and remove encrypted files')
    .addHelpText(
      'after',
      `
Files are encrypted in 64 KiB STREAM chunks and streamed both ways in constant memory. Run an
interrupted put or get again to continue where it stopped. A download is written next to its
target as PATH.hush-part and renamed into place only once it verified.

Examples:
  hush file put build/app.tar.gz --team core
  pg_dump db | hush file put - --name db.sql --to @bob
  hush file list
  hush file get app.tar.gz --out /tmp/app.tar.gz
  hush file get db.sql --out - | psql db
  hush file rm app.tar.gz`,
    );

  file
    .command('put')
    .summary('encrypt and send files to a team (default) or a member')
    .argument('PATH...', 'files to send; - reads stdin (needs --name, not resumable)')
    .option('--team <TEAM>', 'the team (id or name; env: HUSH_TEAM; default: your only team)')
    .option('--to <@MEMBER>', 'send to a member instead (principal id or display name)')
    .option('--name <NAME>', 'the name to record (default: the file name)')
    .option('--type <TYPE>', 'media type, e.g. application/pdf (default: from the name)')
    .addHelpText(
      'after',
      `
Prints each file's id on stdout. Running the same put again after an interruption sends only
the chunks the relay does not hold yet (the same path, size and modification time).

Examples:
  hush file put report.pdf notes.md --team core
  tar c src | hush file put - --name src.tar --to @bob`,
    )
    .action(async (paths: string[], o: PutOptions, cmd: Command) => {
      const g = globals(cmd);
      await put(await openHush(g), g, paths, o);
    });

  file
    .command('list')
    .summary('list verified files, newest last')
    .option('--team <TEAM>', 'only this team (id or name); direct files are left out then')
    .addHelpText(
      'after',
      `
Examples:
  hush file list
  hush file list --team core --json | jq '.[].name'`,
    )
    .action(async (o: { team?: string }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const list = await hush.files.list(o.team !== undefined ? { team: o.team } : {});
      if (g.json) return printJson(list);
      table(
        ['ID', 'NAME', 'SIZE', 'TYPE', 'FROM', 'IN', 'TIME'],
        list.map((f) => [
          f.id,
          f.name,
          bytes(f.size),
          f.mediaType,
          who(f),
          f.team ? f.team.name : 'direct',
          time(f.createdAt),
        ]),
        'no files',
      );
    });

  file
    .command('get')
    .summary('download and verify a file (the newest of that name, or by id)')
    .argument('FILE', 'file id or name')
    .option('--out <PATH>', 'where to write it (an existing directory: under its name; - : stdout)')
    .option('--team <TEAM>', 'look the name up in this team only')
    .addHelpText(
      'after',
      `
Without --out the file is written to this directory under its name, and an existing file
there is never replaced (exit 7). A file that fails verification never reaches its path
(exit 5); one cut off by the network resumes when the same command runs again.

Examples:
  hush file get report.pdf
  hush file get 8V3x... --out /tmp/report.pdf
  hush file get db.sql --out - | psql db`,
    )
    .action(async (ref: string, o: { out?: string; team?: string }, cmd: Command) => {
      const g = globals(cmd);
      await get(await openHush(g), g, ref, o);
    });

  file
    .command('rm')
    .summary('remove a file: tombstone its manifest and delete its content')
    .argument('FILE', 'file id or name')
    .option('--team <TEAM>', 'look the name up in this team only')
    .addHelpText(
      'after',
      `
A team file can be removed by its uploader or a team admin, a direct file by its sender.

Examples:
  hush file rm report.pdf
  hush file rm 8V3x... --json`,
    )
    .action(async (ref: string, o: { team?: string }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const r = await hush.files.rm(ref, o.team !== undefined ? { team: o.team } : {});
      if (g.json)
        return printJson({
          id: r.file.id,
          name: r.file.name,
          tombstoned: r.tombstoned,
          blobDeleted: r.blobDeleted,
        });
      note(`removed ${cell(r.file.name)} (${r.file.id})`);
    });
}
