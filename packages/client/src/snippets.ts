/**
 * Code snippets (PROTOCOL.md section 10.3) to a team or `@member`: a file (or a line range
 * of it), or a patch from `git diff`, with its language, its path relative to the repository
 * root, the git remote (user information removed) and the commit. Sealed, queued, posted,
 * synced and verified exactly as messages are (the same envelopes, cache and checks;
 * collection `snippet`): this module only builds and decodes the body.
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import {
  ArgumentError,
  COLLECTION,
  decodeSnippetBody,
  encodeSnippetBody,
  FLAG_TOMBSTONE,
  fromHex,
  stripGitCredentials,
  toBase64url,
  toHex,
  type SnippetBody,
} from '@hush/core';
import { findPrincipal, findTeam, type Ctx } from './context.js';
import { NotFoundError, UsageError } from './errors.js';
import type { CachedEnvelope, MessageRef, Messages } from './messages.js';
import { onlyTeam } from './only-team.js';
import type { Teams } from './teams.js';

/** What `snippets.share` takes: a file (optionally a line range of it) or `diffArgs`. */
export interface ShareOptions {
  /** A team (id or name) or `@member`; default: the one team this principal is in. */
  readonly target?: string;
  /** Default: `PATH:FIRST-LAST`, `PATH`, or `git diff ARGS`. At most 256 bytes. */
  readonly title?: string;
  /** At most 4096 bytes. */
  readonly note?: string;
  /** The file to share, relative to `cwd`. */
  readonly file?: string;
  /** A 1-based inclusive line range of `file`; default: the whole file. */
  readonly lines?: { readonly first: number; readonly last: number };
  /** Share the patch `git diff ARGS` prints (run in `cwd`) instead of a file. */
  readonly diffArgs?: readonly string[];
  /** Where `file` and git are resolved (default: the process's working directory). */
  readonly cwd?: string;
}

/** What `snippets.shareText` takes: text that is not read from a file. */
export interface TextShareOptions {
  /** A team (id or name) or `@member`; default: the one team this principal is in. */
  readonly target?: string;
  /** At most 1 MiB. */
  readonly text: string;
  /** e.g. `typescript`, at most 64 bytes; default ''. */
  readonly language?: string;
  /** At most 256 bytes; default `snippet`. */
  readonly title?: string;
  /** At most 4096 bytes. */
  readonly note?: string;
}

/** A verified, decoded snippet. */
export interface Snippet {
  readonly id: string;
  readonly team?: { readonly id: string; readonly name: string };
  readonly direct: boolean;
  readonly from: { readonly principalId: string; readonly name: string };
  /** Recipient principal ids of a direct snippet (the sender included). */
  readonly to?: readonly string[];
  readonly createdAt: number;
  readonly title: string;
  /** e.g. `typescript`; '' when unknown. */
  readonly language: string;
  /** Relative to the repository root; '' when none. */
  readonly path: string;
  readonly lines?: { readonly first: number; readonly last: number };
  /** Without user information; '' when none. */
  readonly gitRemote: string;
  /** The commit in hex; '' when unknown. */
  readonly commit: string;
  readonly note: string;
  /** `content`: the text itself; `patch`: a unified diff for `git apply`. */
  readonly kind: SnippetBody['kind'];
  readonly content: string;
}

/** Filters of `snippets.list`. */
export interface SnippetListOptions {
  /** Only snippets by this member (principal id or display name). */
  readonly from?: string;
  /** Only this team (id or name); direct snippets are left out then. */
  readonly team?: string;
  /** Use only what is verified and cached locally (no relay round trip). */
  readonly offline?: boolean;
}

// prettier-ignore
const LANGUAGES: Readonly<Record<string, string>> = {
  ts: 'typescript', tsx: 'tsx', mts: 'typescript', cts: 'typescript', js: 'javascript',
  jsx: 'jsx', mjs: 'javascript', cjs: 'javascript', json: 'json', py: 'python', rb: 'ruby',
  go: 'go', rs: 'rust', java: 'java', kt: 'kotlin', kts: 'kotlin', swift: 'swift', c: 'c',
  h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', cs: 'csharp', php: 'php',
  scala: 'scala', sh: 'shell', bash: 'bash', zsh: 'shell', fish: 'fish', ps1: 'powershell',
  sql: 'sql', html: 'html', css: 'css', scss: 'scss', md: 'markdown', yml: 'yaml',
  yaml: 'yaml', toml: 'toml', xml: 'xml', lua: 'lua', ex: 'elixir', exs: 'elixir',
  erl: 'erlang', hs: 'haskell', ml: 'ocaml', clj: 'clojure', dart: 'dart', r: 'r',
  pl: 'perl', proto: 'protobuf', tf: 'hcl', vue: 'vue', svelte: 'svelte', zig: 'zig',
  diff: 'diff', patch: 'diff',
};
// prettier-ignore
const BY_NAME: Readonly<Record<string, string>> = {
  Dockerfile: 'dockerfile', Makefile: 'makefile', GNUmakefile: 'makefile',
};
const MAX_CONTENT = 1_048_576;

/** The language recorded for a file name ('' when the extension is not known). */
export function languageOf(file: string): string {
  const name = basename(file);
  return BY_NAME[name] ?? LANGUAGES[extname(name).slice(1).toLowerCase()] ?? '';
}

/** Runs git; resolves with stdout, or rejects with git's first stderr line. */
function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile('git', args, { cwd, maxBuffer: 64 * MAX_CONTENT }, (err, stdout, stderr) => {
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

/** Cuts a default title to the 256-byte limit. */
function clip(s: string): string {
  let out = s;
  while (Buffer.byteLength(out) > 256) out = out.slice(0, -1);
  return out;
}

function checkSize(content: string, what: string): void {
  const n = Buffer.byteLength(content);
  if (n > MAX_CONTENT)
    throw new UsageError(`${what} is ${n} bytes; a snippet holds at most ${MAX_CONTENT}`);
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
  checkSize(content, 'the content');
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
    title: o.title ?? clip(`${path}${range}`),
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
  checkSize(content, 'the patch');
  return {
    title: o.title ?? clip(['git diff', ...args].join(' ')),
    language: 'diff',
    path: '',
    gitRemote: repo.gitRemote,
    commit: repo.commit,
    note: o.note ?? '',
    kind: 'patch',
    content,
  };
}

/** The snippet namespace of the SDK (`hush.snippets`). */
export class Snippets {
  readonly #decoded = new Map<string, Snippet | null>();

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
    private readonly messages: Messages,
  ) {}

  /**
   * Shares a file, a line range of it, or a `git diff` patch with a team or `@member`.
   * @example
   * await hush.snippets.share({ target: 'core', file: 'src/net.ts', lines: { first: 10, last: 24 } });
   * await hush.snippets.share({ target: '@bob', diffArgs: ['HEAD~1'], note: 'try this' });
   */
  async share(o: ShareOptions): Promise<MessageRef> {
    const cwd = resolve(o.cwd ?? process.cwd());
    let body: SnippetBody;
    if (o.diffArgs !== undefined) {
      if (o.file !== undefined || o.lines !== undefined)
        throw new UsageError('share either a file or a diff, not both');
      body = await diffBody(o, cwd, o.diffArgs);
    } else if (o.file !== undefined) body = await fileBody(o, cwd, o.file);
    else throw new UsageError('nothing to share: give a file or diff arguments');
    return this.#send(o.target, body);
  }

  /**
   * Shares text that is not a file (pasted code, a command's output): no path, no git
   * metadata. Used by the MCP server's `share_code` when a model passes text.
   * @example
   * await hush.snippets.shareText({ target: 'core', text: 'SELECT 1;', language: 'sql', title: 'probe' });
   */
  async shareText(o: TextShareOptions): Promise<MessageRef> {
    checkSize(o.text, 'the text');
    if (o.text === '') throw new UsageError('nothing to share: the text is empty');
    return this.#send(o.target, {
      title: o.title ?? 'snippet',
      language: o.language ?? '',
      path: '',
      gitRemote: '',
      commit: new Uint8Array(0),
      note: o.note ?? '',
      kind: 'content',
      content: o.text,
    });
  }

  async #send(target: string | undefined, body: SnippetBody): Promise<MessageRef> {
    let bytes: Uint8Array;
    try {
      bytes = encodeSnippetBody(body);
    } catch (e) {
      if (e instanceof ArgumentError) throw new UsageError(`cannot share it: ${e.message}`);
      throw e;
    }
    const to =
      target ??
      (await onlyTeam(this.ctx, this.teams, { none: 'name a @member', several: 'name one' }));
    return this.messages.sendBody(to, COLLECTION.snippet, bytes);
  }

  async #decode(c: CachedEnvelope): Promise<Snippet | null> {
    if (this.#decoded.has(c.key)) return this.#decoded.get(c.key) ?? null;
    const { header, body } = await c.open();
    let s: Snippet | null = null;
    if (header.collection === COLLECTION.snippet && (header.flags & FLAG_TOMBSTONE) === 0) {
      try {
        const b = decodeSnippetBody(body);
        s = {
          id: toBase64url(header.objectId),
          ...(c.team ? { team: c.team } : {}),
          direct: !c.team,
          from: {
            principalId: toBase64url(header.author),
            name: await this.messages.nameOf(header.author),
          },
          ...(header.direct ? { to: header.direct.recipients.map(toBase64url) } : {}),
          createdAt: header.createdAt,
          title: b.title,
          language: b.language,
          path: b.path,
          ...(b.lines ? { lines: b.lines } : {}),
          gitRemote: b.gitRemote,
          commit: toHex(b.commit),
          note: b.note,
          kind: b.kind,
          content: b.content,
        };
      } catch (e) {
        this.ctx.warnings.push(
          `snippet ${toBase64url(header.objectId)} has a malformed body: ${(e as Error).message}`,
        );
      }
    }
    this.#decoded.set(c.key, s);
    return s;
  }

  async #all(teamFilter?: string): Promise<Snippet[]> {
    const out: Snippet[] = [];
    for (const c of await this.messages.cached(COLLECTION.snippet, teamFilter)) {
      const s = await this.#decode(c);
      if (s) out.push(s);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** Syncs (unless offline) and returns verified snippets, newest last. */
  async list(opts: SnippetListOptions = {}): Promise<Snippet[]> {
    let teamFilter: string | undefined;
    if (opts.team) teamFilter = toBase64url(await findTeam(this.ctx, opts.team));
    if (!opts.offline) await this.messages.sync(teamFilter);
    const all = await this.#all(teamFilter);
    if (opts.from === undefined) return all;
    const from = toBase64url(await findPrincipal(this.ctx, opts.from));
    return all.filter((s) => s.from.principalId === from);
  }

  /** One verified snippet by id (synced first when it is not cached yet). */
  async get(id: string): Promise<Snippet> {
    let s = (await this.#all()).find((x) => x.id === id);
    if (!s) s = (await this.list()).find((x) => x.id === id);
    if (!s) throw new NotFoundError(`no snippet ${id}`);
    return s;
  }
}
