/**
 * hush ids are base64url, so one in 64 starts with '-' and would be read as an option
 * (`hush read -cfT...`). Before parsing, an argument shaped exactly like an id (22 or 43
 * base64url characters) that starts with '-' gets an invisible mark; every argument and
 * option value parser removes it again. No option name has that shape.
 */
import type { Argument, Command, Option } from 'commander';

const MARK = '\u2063';
const DASHED_ID = /^-(?:[A-Za-z0-9_-]{21}|[A-Za-z0-9_-]{42})$/;

/** Marks id-shaped arguments that start with '-' so the parser keeps them as values. */
export function markDashedIds(argv: readonly string[]): string[] {
  return argv.map((a) => (DASHED_ID.test(a) ? MARK + a : a));
}

function unmark(v: string): string {
  return v.startsWith(MARK) ? v.slice(MARK.length) : v;
}

type Parser = (value: string, previous: unknown) => unknown;

function wrap(item: Argument | Option): void {
  const prev = item.parseArg as Parser | undefined;
  const variadic = item.variadic;
  const parser: Parser = (v, p) => {
    const value = unmark(v);
    if (prev) return prev(value, p);
    return variadic ? [...(Array.isArray(p) ? (p as unknown[]) : []), value] : value;
  };
  item.argParser(parser);
}

/** Makes every argument and option value of the tree strip the mark. */
export function unmarkEverywhere(cmd: Command): void {
  for (const a of cmd.registeredArguments) wrap(a);
  for (const o of cmd.options) if (o.required || o.optional) wrap(o);
  for (const c of cmd.commands) unmarkEverywhere(c);
}
