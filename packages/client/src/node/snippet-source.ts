/**
 * Snippet bodies from the local machine (Node only): a file or a line range of it, with its
 * language, its path relative to the repository root, the git remote (user information
 * removed) and the commit; or the patch `git diff ARGS` prints.
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fromHex, stripGitCredentials, type SnippetBody } from '@hush/core';
import { NotFoundError, UsageError } from '../errors.js';
import { checkSnippetSize, clipTitle, languageOf, MAX_SNIPPET_CONTENT } from '../snippets.js';
import type { ShareOptions } from '../snippets.js';

/** Runs git; resolves with stdout, or rejects with git's first stderr line. */
function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile('git', args, { cwd, maxBuffer: 64 * MAX_SNIPPET_CONTENT }, (err, stdout, stderr) => {
      if (!err) return done(stdout);
      const line = stderr.split('\n').find((l) => l.trim() !== '') ?? err.message;
      fail(new UsageError(`git ${args[0] ?? ''} failed: ${line.trim()}`));
    }),
  );
}

const quiet = (p: Promise<string>) => p.then((s) => s.trim()).catch(() => '');

/** The repository around `dir`: root, remote (credentials removed) and HEAD, when any. */
async function repoOf(dir: string) {
  const root = await quiet(git(dir, ['rev-parse', '--show-toplevel']));
  if (!root) return { root: undefined, gitRemote: '', commit: new Uint8Array(0) };
  const head = await quiet(git(dir, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']));
  const commit = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(head) ? fromHex(head) : new Uint8Array(0);
  const remotes = (await quiet(git(dir, ['remote']))).split('\n').filter(Boolean);
  const name = remotes.includes('origin') ? 'origin' : remotes[0];
  const url = name ? await quiet(git(dir, ['remote', 'get-url', name])) : '';
  return { root: await realpath(root), gitRemote: stripGitCredentials(url), commit };
}

/** The text of lines `first..last` (1-based, inclusive), with their line ends. */
function lineRange(text: string, r: { first: number; last: number }): string {
  const parts = text.split('\n');
  const count = text.endsWith('\n') ? parts.length - 1 : parts.length;
  if (!Number.isInteger(r.first) || !Number.isInteger(r.last) || r.first < 1 || r.last < r.first)
    throw new UsageError('a line range needs 1 <= START <= END');
  if (r.last > count) throw new UsageError(`the file has ${count} lines, fewer than ${r.last}`);
  return parts.slice(r.first - 1, r.last).join('\n') + (r.last < parts.length ? '\n' : '');
}

async function fileBody(o: ShareOptions, cwd: string, file: string): Promise<SnippetBody> {
  const abs = resolve(cwd, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`no file ${file}`);
    throw new UsageError(`cannot read ${file} (${code ?? 'error'})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${file} is not UTF-8 text`);
  }
  const content = o.lines ? lineRange(text, o.lines) : text;
  checkSnippetSize(content, 'the content');
  const real = await realpath(abs);
  const repo = await repoOf(dirname(real));
  const inRepo = repo.root !== undefined ? relative(repo.root, real) : '';
  let path = inRepo && !inRepo.startsWith('..') && !isAbsolute(inRepo) ? inRepo : '';
  if (!path) {
    const rel = relative(cwd, abs);
    path = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(abs);
  }
  path = path.split(sep).join('/');
  const range = o.lines ? `:${o.lines.first}-${o.lines.last}` : '';
  return {
    title: o.title ?? clipTitle(`${path}${range}`),
    language: languageOf(abs),
    path,
    ...(o.lines ? { lines: { first: o.lines.first, last: o.lines.last } } : {}),
    gitRemote: repo.root !== undefined ? repo.gitRemote : '',
    commit: repo.root !== undefined ? repo.commit : new Uint8Array(0),
    note: o.note ?? '',
    kind: 'content',
    content,
  };
}

async function diffBody(
  o: ShareOptions,
  cwd: string,
  args: readonly string[],
): Promise<SnippetBody> {
  const repo = await repoOf(cwd);
  if (repo.root === undefined) throw new UsageError('share --diff needs a git repository');
  // Whatever the user's git configuration says, the patch must be one `git apply` takes at
  // the repository root: a/ and b/ prefixes, root-relative paths, no colour, no textconv.
  // prettier-ignore
  const content = await git(cwd, [
    '-c', 'core.quotepath=false', 'diff', '--no-color', '--no-ext-diff', '--no-textconv',
    '--no-relative', '--binary', '--src-prefix=a/', '--dst-prefix=b/', ...args,
  ]);
  if (content.trim() === '') throw new UsageError('git diff shows no changes: nothing to share');
  checkSnippetSize(content, 'the patch');
  return {
    title: o.title ?? clipTitle(['git diff', ...args].join(' ')),
    language: 'diff',
    path: '',
    gitRemote: repo.gitRemote,
    commit: repo.commit,
    note: o.note ?? '',
    kind: 'patch',
    content,
  };
}

/** The snippet body of `share` options naming a file or diff arguments (`cwd` resolves them). */
export async function nodeSnippetSource(o: ShareOptions): Promise<SnippetBody> {
  const cwd = resolve(o.cwd ?? process.cwd());
  if (o.diffArgs !== undefined) return diffBody(o, cwd, o.diffArgs);
  if (o.file !== undefined) return fileBody(o, cwd, o.file);
  throw new UsageError('nothing to share: give a file, diff arguments or content');
}
