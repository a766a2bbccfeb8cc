/**
 * The repository-relative path rule of snippets and file names, and the removal of user
 * information from git remotes (PROTOCOL.md section 10.3).
 */
import { EnvelopeError } from '../envelope/errors.js';
import { ArgumentError } from '../errors.js';

/** Why `path` breaks the 10.3 rule, or undefined when it follows it. Never quotes the path. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'path is empty';
  if (path.includes('\\')) return 'path contains a backslash';
  if (path.includes('\0')) return 'path contains NUL';
  if (path.startsWith('/')) return 'path is absolute';
  for (const seg of path.split('/')) {
    if (seg === '') return 'path has an empty segment';
    if (seg === '.' || seg === '..') return 'path has a "." or ".." segment';
  }
  return undefined;
}

/**
 * Checks the 10.3 path rule: segments separated by `/`, no leading `/`, no empty, `.` or
 * `..` segment, no `\` and no NUL. The empty string is refused too (it names no file); a
 * snippet's "no path" is checked by its decoder before it calls this. A client applying a
 * snippet or writing a downloaded file calls it on the path it is about to write, and still
 * resolves the result under the repository root itself.
 *
 * @throws EnvelopeError `encoding` when the path breaks the rule.
 * @example checkSnippetPath('src/index.ts'); // returns; '../etc/passwd' throws
 */
export function checkSnippetPath(path: string): void {
  if (typeof path !== 'string') throw new EnvelopeError('encoding', 'path must be a string');
  const problem = pathProblem(path);
  if (problem !== undefined) throw new EnvelopeError('encoding', problem);
}

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const AUTHORITY_END = /[/\\?#]/;

/**
 * Removes user information (user names, passwords, tokens) from a git remote, as a snippet
 * writer must before sealing (10.3). After an optional `scheme://`, the part up to the first
 * `/`, `\`, `?` or `#` is the authority (for scp-like remotes, `user@host:path`, the part
 * before the path); everything in it up to and including its last `@` is removed, and again
 * from the result until its authority has no `@`. Local paths without `@` there are
 * returned unchanged. The result is a fixed point:
 * `stripGitCredentials(stripGitCredentials(x)) === stripGitCredentials(x)`.
 *
 * @example stripGitCredentials('https://user:tok@github.com/o/r.git') // 'https://github.com/o/r.git'
 * @example stripGitCredentials('git@github.com:o/r.git')             // 'github.com:o/r.git'
 */
export function stripGitCredentials(remote: string): string {
  if (typeof remote !== 'string') throw new ArgumentError('remote must be a string');
  // Removing can expose a scheme prefix that was not one before (`@a://@` gives `a://@`),
  // whose authority may hold more: remove again until nothing is left (each pass drops an `@`).
  let s = remote;
  for (;;) {
    const scheme = URL_SCHEME.exec(s)?.[0] ?? '';
    const rest = s.slice(scheme.length);
    const end = rest.search(AUTHORITY_END);
    const authority = end < 0 ? rest : rest.slice(0, end);
    const at = authority.lastIndexOf('@');
    if (at < 0) return s;
    s = scheme + rest.slice(at + 1);
  }
}
