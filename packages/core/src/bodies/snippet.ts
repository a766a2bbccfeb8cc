/** Snippet bodies (PROTOCOL.md section 10.3, collection 2). */
import type { Reader, Writer } from '../encoding/canonical.js';
import {
  decodeBody,
  encodeBody,
  enumByte,
  getEnum,
  getStr,
  MAX_LARGE,
  putStr,
  rule,
} from './common.js';
import { pathProblem, stripGitCredentials } from './path.js';

const KINDS = ['content', 'patch'] as const;
const MAX = { title: 256, language: 64, path: 4096, gitRemote: 2048, note: 4096 } as const;

/** A code snippet: the plaintext body of a `snippet` envelope. */
export interface SnippetBody {
  /** At most 256 bytes. */
  title: string;
  /** At most 64 bytes, e.g. `typescript`; empty when unknown. */
  language: string;
  /** Repository-relative path under the 10.3 rule, at most 4096 bytes; empty: no path. */
  path: string;
  /** 1-based inclusive line range, `1 <= first <= last`; needs a non-empty `path`. */
  lines?: { first: number; last: number };
  /** The remote URL without user information (see stripGitCredentials); empty: none. */
  gitRemote: string;
  /** The raw git commit name: 20 bytes (SHA-1), 32 bytes (SHA-256) or empty when unknown. */
  commit: Uint8Array;
  /** At most 4096 bytes. */
  note: string;
  /** `content`: the text itself; `patch`: a unified diff as `git diff` writes it. */
  kind: 'content' | 'patch';
  /** At most 1 048 576 bytes. */
  content: string;
}

/** Rules of 10.3 that relate fields; checked by the writer and the reader alike. */
function checkSnippet(
  path: string,
  lines: SnippetBody['lines'],
  remote: string,
  commit: Uint8Array,
) {
  if (path !== '') {
    const problem = pathProblem(path);
    rule(problem === undefined, problem ?? '');
  }
  if (lines !== undefined) {
    rule(path !== '', 'a line range needs a path');
    rule(1 <= lines.first && lines.first <= lines.last, 'line range must have 1 <= first <= last');
  }
  rule(stripGitCredentials(remote) === remote, 'gitRemote carries user information');
  rule([0, 20, 32].includes(commit.length), 'commit must be 0, 20 or 32 bytes');
}

function writeSnippet(w: Writer, s: SnippetBody): void {
  putStr(w, 'title', s.title, MAX.title);
  putStr(w, 'language', s.language, MAX.language);
  putStr(w, 'path', s.path, MAX.path);
  const lines = s.lines ?? undefined;
  w.opt(lines, (x, v) => x.u32(v.first).u32(v.last));
  putStr(w, 'gitRemote', s.gitRemote, MAX.gitRemote);
  w.bytes(s.commit);
  checkSnippet(s.path, lines, s.gitRemote, s.commit);
  putStr(w, 'note', s.note, MAX.note);
  w.u8(enumByte('snippet content kind', KINDS, s.kind));
  putStr(w, 'content', s.content, MAX_LARGE);
}

function readSnippet(r: Reader): SnippetBody {
  const title = getStr(r, 'title', MAX.title);
  const language = getStr(r, 'language', MAX.language);
  const path = getStr(r, 'path', MAX.path);
  const lines = r.opt((x) => ({ first: x.u32(), last: x.u32() }));
  const gitRemote = getStr(r, 'gitRemote', MAX.gitRemote);
  const commit = r.bytes(32);
  checkSnippet(path, lines, gitRemote, commit);
  const note = getStr(r, 'note', MAX.note);
  const kind = getEnum(r, 'snippet content kind', KINDS);
  const content = getStr(r, 'content', MAX_LARGE);
  const common = { title, language, path };
  const rest = { gitRemote, commit, note, kind, content };
  return lines === undefined ? { ...common, ...rest } : { ...common, lines, ...rest };
}

/**
 * Encodes a snippet body (10.3). Pass `gitRemote` through {@link stripGitCredentials} first:
 * a remote with user information is refused rather than silently changed.
 *
 * @throws ArgumentError when a field breaks a rule of 10.3.
 * @example
 * const body = encodeSnippetBody({
 *   title: 'retry loop', language: 'typescript', path: 'src/net.ts', lines: { first: 10, last: 24 },
 *   gitRemote: stripGitCredentials(remote), commit: new Uint8Array(20), note: '',
 *   kind: 'content', content: text,
 * });
 */
export function encodeSnippetBody(s: SnippetBody): Uint8Array {
  return encodeBody('snippet', (w) => writeSnippet(w, s));
}

/**
 * Decodes a snippet body (10.3), accepting only its one canonical encoding.
 *
 * @throws EnvelopeError `encoding` for any non-canonical input or broken rule: a path that
 * breaks the path rule, a line range that is empty, starts at 0 or has no path, a commit of
 * another length than 0, 20 or 32, a remote with user information, an unknown content kind.
 * @example const s = decodeSnippetBody(body); if (s.path) checkSnippetPath(s.path);
 */
export function decodeSnippetBody(b: Uint8Array): SnippetBody {
  return decodeBody('snippet', b, readSnippet);
}
