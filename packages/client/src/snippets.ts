/**
 * Code snippets (PROTOCOL.md section 10.3) to a team or `@member`: a file (or a line range
 * of it), or a patch from `git diff`, with its language, its path relative to the repository
 * root, the git remote (user information removed) and the commit; or text given as
 * `content`. Sealed, queued, posted, synced and verified exactly as messages are (the same
 * envelopes, cache and checks; collection `snippet`): this module only builds and decodes
 * the body. Reading files and running git is the platform's (`node/snippet-source.ts`).
 */
import {
  ArgumentError,
  COLLECTION,
  decodeSnippetBody,
  encodeSnippetBody,
  FLAG_TOMBSTONE,
  toBase64url,
  toHex,
  utf8,
  type SnippetBody,
} from '@hush/core';
import { findPrincipal, findTeam, type Ctx } from './context.js';
import { NotFoundError, UsageError } from './errors.js';
import type { CachedEnvelope, MessageRef, Messages } from './messages.js';
import { onlyTeam } from './only-team.js';
import type { Teams } from './teams.js';

/** What `snippets.share` takes: a file (optionally a line range of it), `diffArgs`, or `content`. */
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
  /** Share this text instead of a file or diff (works on every platform). */
  readonly content?: string;
  /** With `content`: its language (default: from `path`). */
  readonly language?: string;
  /** With `content`: the path it belongs to, relative to its repository (default: none). */
  readonly path?: string;
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
/** The largest snippet content in bytes. */
export const MAX_SNIPPET_CONTENT = 1_048_576;

/** The language recorded for a file name ('' when the extension is not known). */
export function languageOf(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? '';
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  return BY_NAME[name] ?? LANGUAGES[ext] ?? '';
}

/** Cuts a default title to the 256-byte limit. */
export function clipTitle(s: string): string {
  let out = s;
  while (utf8(out).length > 256) out = out.slice(0, -1);
  return out;
}

/** Refuses content over the snippet limit. */
export function checkSnippetSize(content: string, what: string): void {
  const n = utf8(content).length;
  if (n > MAX_SNIPPET_CONTENT)
    throw new UsageError(`${what} is ${n} bytes; a snippet holds at most ${MAX_SNIPPET_CONTENT}`);
}

function contentBody(o: ShareOptions, content: string): SnippetBody {
  checkSnippetSize(content, 'the content');
  return {
    title: o.title ?? clipTitle(o.path || 'snippet'),
    language: o.language ?? (o.path ? languageOf(o.path) : ''),
    path: o.path ?? '',
    ...(o.lines ? { lines: { first: o.lines.first, last: o.lines.last } } : {}),
    gitRemote: '',
    commit: new Uint8Array(0),
    note: o.note ?? '',
    kind: 'content',
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
    const given = [o.file, o.diffArgs, o.content].filter((x) => x !== undefined).length;
    if (given > 1) throw new UsageError('share one of a file, a diff or content');
    if (o.diffArgs !== undefined && o.lines !== undefined)
      throw new UsageError('share either a file or a diff, not both');
    let body: SnippetBody;
    if (o.content !== undefined) body = contentBody(o, o.content);
    else if (given === 0)
      throw new UsageError('nothing to share: give a file, diff arguments or content');
    else {
      const source = this.ctx.platform.snippetSource;
      if (!source)
        throw new UsageError('sharing files and git diffs needs the Node entry of @hush/client');
      body = await source(o);
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeSnippetBody(body);
    } catch (e) {
      if (e instanceof ArgumentError) throw new UsageError(`cannot share it: ${e.message}`);
      throw e;
    }
    const to =
      o.target ??
      toBase64url(await onlyTeam(this.ctx, { none: 'name a @member', several: 'name one' }));
    return this.messages.sendBody(to, COLLECTION.snippet, bytes);
  }

  /**
   * Shares text that is not a file (pasted code, a command's output): `share` with
   * `content`, no path and no git metadata. Used by the MCP server's `share_code` when a
   * model passes text.
   * @example
   * await hush.snippets.shareText({ target: 'core', text: 'SELECT 1;', language: 'sql', title: 'probe' });
   */
  shareText(o: TextShareOptions): Promise<MessageRef> {
    if (o.text === '') throw new UsageError('nothing to share: the text is empty');
    return this.share({
      ...(o.target !== undefined ? { target: o.target } : {}),
      content: o.text,
      language: o.language ?? '',
      title: o.title ?? 'snippet',
      ...(o.note !== undefined ? { note: o.note } : {}),
    });
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
