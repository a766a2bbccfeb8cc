/**
 * `.env` files: a parser that follows the dotenv npm package's documented rules, and a
 * serializer whose output this parser (and dotenv, for the values hush writes) reads back to
 * the same names and values. Pure (no I/O), so it runs in browsers too.
 *
 * Rules (dotenv's, with the differences docs/CLIENT.md lists): `NAME=VALUE` lines, an
 * optional `export ` prefix, whitespace around `=` ignored; blank lines and `#` lines
 * skipped; an unquoted value is trimmed and ends at a `#` that starts the value or follows
 * whitespace; `'single'` and `` `backtick` `` values are literal; `"double"` values decode
 * `\n`, `\r`, `\t`, `\\` and `\"`; quoted values may span lines; CRLF and CR read as LF.
 * Anything else is a {@link DotenvError} naming its line: hush never skips what it cannot read.
 */
import { UsageError } from './errors.js';

/** A name hush accepts for a secret: dotenv's key characters. */
export const SECRET_NAME = /^[A-Za-z0-9_.-]+$/;

/** One assignment read from a file, with the (1-based) line it starts on. */
export interface DotenvEntry {
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

/** A malformed `.env` text: the message names the line; `line` is 1-based. */
export class DotenvError extends UsageError {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const ASSIGN = /^[ \t]*(?:export[ \t]+(?=[A-Za-z0-9_.-]+[ \t]*=))?([A-Za-z0-9_.-]+)[ \t]*=[ \t]*/;
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  '"': '"',
};

/** Reads a quoted value starting at `text[at]` (the opening quote); returns it and the end. */
function quoted(text: string, at: number, line: number): { value: string; end: number } {
  const q = text[at] as string;
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (c === q) return { value, end: i + 1 };
    if (q === '"' && c === '\\' && i + 1 < text.length) {
      const next = text[i + 1] as string;
      const e = ESCAPES[next];
      value += e ?? `\\${next}`;
      i++;
      continue;
    }
    value += c;
  }
  throw new DotenvError(line, `the ${q} quote opened here is never closed`);
}

/**
 * Parses `.env` text into its assignments, in file order.
 *
 * @throws DotenvError for a malformed line, an unclosed quote, text after a closing quote,
 * or a name assigned twice.
 * @example
 * parseDotenv('export A="x\\ny" # note\nB=plain\n'); // [{ name: 'A', value: 'x\ny', line: 1 }, ...]
 */
export function parseDotenv(input: string): DotenvEntry[] {
  const text = input.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const out: DotenvEntry[] = [];
  const seen = new Map<string, number>();
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const raw = text.slice(pos, lineEnd);
    const start = line;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = lineEnd + 1;
      line++;
      continue;
    }
    const m = ASSIGN.exec(raw);
    // The line itself is never quoted back: it may hold a value.
    if (!m)
      throw new DotenvError(
        line,
        /^[ \t]*(?:export[ \t]+)?[A-Za-z0-9_.-]+[ \t]*$/.test(raw)
          ? `"${trimmed}" has no "=": write NAME=VALUE`
          : 'expected NAME=VALUE (names use A-Z a-z 0-9 _ . -)',
      );
    const name = m[1] as string;
    let at = pos + m[0].length;
    let value: string;
    const first = text[at];
    if (first === '"' || first === "'" || first === '`') {
      const q = quoted(text, at, line);
      value = q.value;
      at = q.end;
      line += countNewlines(text, pos, at);
      const restEnd = text.indexOf('\n', at);
      const rest = text.slice(at, restEnd < 0 ? text.length : restEnd);
      if (!/^[ \t]*(?:#.*)?$/.test(rest))
        throw new DotenvError(line, `unexpected text after the closing ${first} quote of ${name}`);
      pos = restEnd < 0 ? text.length : restEnd + 1;
    } else {
      const rest = text.slice(at, lineEnd);
      const hash = rest.search(/(?:^|[ \t])#/);
      value = (hash < 0 ? rest : rest.slice(0, hash)).trim();
      pos = lineEnd + 1;
    }
    const before = seen.get(name);
    if (before !== undefined)
      throw new DotenvError(start, `${name} is assigned twice (first on line ${before})`);
    seen.set(name, start);
    out.push({ name, value, line: start });
    line++;
  }
  return out;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const BARE = /^[A-Za-z0-9_./:@%+,=-]+$/;

/** One value in the form dotenv and {@link parseDotenv} both read back unchanged. */
function dotenvValue(v: string): string {
  if (v === '') return '';
  if (BARE.test(v)) return v;
  if (!v.includes('\r')) {
    if (!v.includes("'")) return `'${v}'`;
    if (!v.includes('`')) return `\`${v}\``;
  }
  const escaped = v.replace(/[\\"\n\r]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`,
  );
  return `"${escaped}"`;
}

/** An entry to write: a name, its value, and an optional comment written above it. */
export interface DotenvWrite {
  readonly name: string;
  readonly value: string;
  readonly comment?: string;
}

function checkName(name: string): void {
  if (!SECRET_NAME.test(name))
    throw new UsageError(
      `"${name}" cannot be written to a .env file (names use A-Z a-z 0-9 _ . -)`,
    );
}

/**
 * Serializes entries as `.env` text, one `NAME=VALUE` per entry (multi-line values stay in
 * one quoted value), each comment as `#` lines above its entry. `parseDotenv` gives back the
 * same names and values for any value.
 *
 * @throws UsageError for a name that is not a dotenv name.
 * @example
 * serializeDotenv([{ name: 'TOKEN', value: "it's #1" }]); // "TOKEN=`it's #1`\n"
 */
export function serializeDotenv(entries: readonly DotenvWrite[], header?: string): string {
  const lines: string[] = [];
  if (header) for (const l of header.split('\n')) lines.push(`# ${l}`.trimEnd());
  for (const e of entries) {
    checkName(e.name);
    if (e.comment) for (const l of e.comment.split(/\r\n?|\n/)) lines.push(`# ${l}`.trimEnd());
    lines.push(`${e.name}=${dotenvValue(e.value)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** A name a POSIX shell can `export`. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Serializes entries as POSIX shell `export NAME='VALUE'` lines (for `eval "$(...)"`).
 *
 * @throws UsageError for a name a shell cannot export (`.` or `-` in it, or a leading digit).
 * @example
 * serializeShell([{ name: 'A', value: "it's" }]); // "export A='it'\\''s'\n"
 */
export function serializeShell(entries: readonly DotenvWrite[]): string {
  return entries
    .map((e) => {
      if (!SHELL_NAME.test(e.name))
        throw new UsageError(
          `"${e.name}" is not a shell variable name: use --format dotenv or json`,
        );
      return `export ${e.name}='${e.value.replace(/'/g, `'\\''`)}'\n`;
    })
    .join('');
}
