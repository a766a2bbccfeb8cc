/** `hush snippet ID [--out FILE] [--apply]`: show, save or apply a verified snippet. */
import { execFile } from 'node:child_process';
import { resolve, sep } from 'node:path';
import type { Command } from 'commander';
import type { Snippet } from '@hush/client';
import { globals, openHush, sdk } from '../context.js';
import { CliError, EXIT, usage } from '../errors.js';
import { cell, fields, note, out, printJson, time } from '../output.js';
import { snippetWhere } from '../format.js';

interface Git {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs git in `cwd` with `input` on stdin; never throws for git's own failures. */
function git(cwd: string, args: readonly string[], input = ''): Promise<Git> {
  return new Promise((done, fail) => {
    const child = execFile('git', args, { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return fail(err);
      done({ ok: !err, stdout, stderr });
    });
    // git may exit before reading all of stdin (a patch it rejects at once): its exit status
    // tells the outcome, so a broken pipe on our side is expected, not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

/** Paths a patch touches, as git itself reads them (`git apply --numstat -z`). */
export function patchPaths(numstatZ: string): string[] {
  const tokens = numstatZ.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const m = /^(?:\d+|-)\t(?:\d+|-)\t([\s\S]*)$/.exec(tokens[i] as string);
    if (!m) continue;
    if (m[1]) paths.push(m[1]);
    else paths.push(tokens[++i] ?? '', tokens[++i] ?? ''); // a rename: from, to
  }
  return paths;
}

/**
 * Applies a patch at the root of the repository around `cwd`: refuses (exit 7) a patch that
 * touches a path outside the root or does not apply cleanly, in which case nothing changed.
 */
async function applyPatch(s: Snippet, cwd: string): Promise<{ root: string; files: number }> {
  if (s.kind !== 'patch') throw usage('only a patch can be applied: use --out FILE for content');
  const top = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw usage('--apply needs a git repository here');
  const root = top.stdout.trim();
  const stat = await git(root, ['apply', '--numstat', '-z', '-'], s.content);
  if (!stat.ok)
    throw new CliError(EXIT.conflict, `the patch is not usable: ${firstLine(stat.stderr)}`);
  const { checkSnippetPath } = await import('@hush/core');
  const paths = patchPaths(stat.stdout);
  for (const p of paths) {
    let inside = resolve(root, p).startsWith(root + sep);
    try {
      checkSnippetPath(p);
    } catch {
      inside = false;
    }
    if (!inside)
      throw new CliError(EXIT.conflict, 'refused: the patch touches a path outside the repository');
  }
  const check = await git(root, ['apply', '--check', '-'], s.content);
  if (!check.ok)
    throw new CliError(
      EXIT.conflict,
      `the patch does not apply cleanly here (${firstLine(check.stderr)}); nothing was changed`,
    );
  const done = await git(root, ['apply', '-'], s.content);
  if (!done.ok) throw new CliError(EXIT.conflict, `git apply failed: ${firstLine(done.stderr)}`);
  return { root, files: new Set(paths).size };
}

function show(s: Snippet): void {
  const where = snippetWhere(s);
  fields([
    ['id', s.id],
    ['from', `${s.from.name || '?'} (${s.from.principalId})`],
    ['in', s.team ? s.team.name : 'direct'],
    ['time', time(s.createdAt)],
    ['title', s.title],
    ...(where ? [['where', where] as const] : []),
    ...(s.language ? [['language', s.language] as const] : []),
    ...(s.gitRemote ? [['remote', s.gitRemote] as const] : []),
    ...(s.commit ? [['commit', s.commit] as const] : []),
    ...(s.note ? [['note', s.note] as const] : []),
  ]);
  out();
  process.stdout.write(s.content.endsWith('\n') || s.content === '' ? s.content : `${s.content}\n`);
}

/** Registers `hush snippet`. */
export function register(program: Command): void {
  program
    .command('snippet')
    .summary('show a snippet, save it to a file, or apply a shared patch')
    .argument('ID', 'snippet id')
    .option('--out <FILE>', 'write the content to FILE (atomically)')
    .option('--apply', 'apply a patch with git apply at the root of the repository here')
    .addHelpText(
      'after',
      `
--apply first checks the patch with git apply --check: one that does not apply cleanly, or
that touches a path outside the repository, is refused (exit 7) and nothing changes.

Examples:
  hush snippet 8V3x...
  hush snippet 8V3x... --out /tmp/net.ts
  hush snippet 8V3x... --apply`,
    )
    .action(async (id: string, o: { out?: string; apply?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const s = await hush.snippets.get(id);
      if (o.out === undefined && !o.apply) return g.json ? printJson(s) : show(s);
      if (o.out !== undefined) {
        const { writeFileAtomic } = await sdk();
        const file = resolve(o.out);
        await writeFileAtomic(file, s.content);
        note(`wrote ${Buffer.byteLength(s.content)} bytes to ${cell(file)}`);
      }
      if (o.apply) {
        const r = await applyPatch(s, process.cwd());
        if (g.json) return printJson({ id: s.id, applied: true, root: r.root, files: r.files });
        note(`applied ${s.id} to ${r.files} file(s) in ${cell(r.root)}`);
      } else if (g.json) printJson({ id: s.id, out: resolve(o.out as string) });
    });
}
