/**
 * Comparing a `.env` file with an environment's secrets, and rendering an environment as a
 * file: what `push`, `diff` and `pull` compute before anything is written. Pure functions.
 */
import { serializeDotenv, serializeShell, type DotenvEntry, type DotenvWrite } from './dotenv.js';
import { UsageError } from './errors.js';

/** Names that differ between a file and an environment. */
export interface EnvDiff {
  /** In the file, not in the environment (push would add them). */
  readonly added: readonly string[];
  /** In the environment, not in the file (push --prune would remove them). */
  readonly removed: readonly string[];
  /** In both, with different values. */
  readonly changed: readonly string[];
}

/**
 * Compares a parsed file with the environment's current values (by name).
 * @example
 * diffEnv(parseDotenv('A=1\n'), new Map([['A', '2'], ['B', '3']])); // { added: [], removed: ['B'], changed: ['A'] }
 */
export function diffEnv(
  file: readonly DotenvEntry[],
  current: ReadonlyMap<string, string>,
): EnvDiff {
  const inFile = new Map(file.map((e) => [e.name, e.value]));
  const added = file.filter((e) => !current.has(e.name)).map((e) => e.name);
  const changed = file
    .filter((e) => current.has(e.name) && current.get(e.name) !== e.value)
    .map((e) => e.name);
  const removed = [...current.keys()].filter((n) => !inFile.has(n));
  const sort = (xs: string[]) => xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { added: sort(added), removed: sort(removed), changed: sort(changed) };
}

/** The output formats of `pull`. */
export const PULL_FORMATS = ['dotenv', 'json', 'shell'] as const;
export type PullFormat = (typeof PULL_FORMATS)[number];

/**
 * Renders entries (sorted by name by the caller) in a format: a `.env` file (comments as
 * `#` lines), a JSON object of names to values, or `export` lines for a POSIX shell.
 * @example
 * renderEnv([{ name: 'A', value: '1' }], 'json'); // '{\n  "A": "1"\n}\n'
 */
export function renderEnv(
  entries: readonly DotenvWrite[],
  format: PullFormat,
  header?: string,
): string {
  switch (format) {
    case 'dotenv':
      return serializeDotenv(entries, header);
    case 'json':
      return `${JSON.stringify(Object.fromEntries(entries.map((e) => [e.name, e.value])), null, 2)}\n`;
    case 'shell':
      return serializeShell(entries);
    default:
      throw new UsageError(`unknown format "${String(format)}": dotenv, json or shell`);
  }
}
