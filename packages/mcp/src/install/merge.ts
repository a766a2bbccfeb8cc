/**
 * Puts the server into a client's configuration file without losing anything else: the
 * file is parsed, only this server's entry is set, the result is parsed again and compared
 * with the original, and it replaces the file atomically. A file that does not parse, or a
 * TOML file that defines this server in a form that cannot be edited safely, is refused.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from '@hush/client';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { ToolError } from '../errors.js';
import type { InstallPlan } from './clients.js';

type Table = Record<string, unknown>;

/** Plain data to compare: the TOML parser's objects have no prototype, dates are objects. */
const plain = (v: unknown): unknown =>
  JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? 'null',
  );

const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The configuration text that adds the server, as it would be pasted into an empty file. */
export function renderSnippet(plan: InstallPlan): string {
  const doc = { [plan.table]: { [plan.name]: plan.entry } };
  return plan.format === 'toml' ? stringifyToml(doc) : `${JSON.stringify(doc, null, 2)}\n`;
}

function refuse(kind: 'LOCAL_STATE' | 'CONFLICT', file: string, why: string): ToolError {
  return new ToolError(
    kind,
    `${file}: ${why}; add the snippet by hand (hush mcp install prints it)`,
  );
}

/**
 * `text` (a JSON configuration, or undefined for none) with the server set; `text` itself
 * when the server is already there as planned.
 */
export function mergeJson(text: string | undefined, plan: InstallPlan, file: string): string {
  let doc: unknown = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw refuse('LOCAL_STATE', file, `is not plain JSON (${(e as Error).message})`);
    }
  }
  if (!isTable(doc)) throw refuse('LOCAL_STATE', file, 'does not hold a JSON object');
  const servers = doc[plan.table] ?? {};
  if (!isTable(servers)) throw refuse('CONFLICT', file, `"${plan.table}" is not an object`);
  if (text !== undefined && isDeepStrictEqual(servers[plan.name], plan.entry)) return text;
  return `${JSON.stringify({ ...doc, [plan.table]: { ...servers, [plan.name]: plan.entry } }, null, 2)}\n`;
}

function parseTomlIn(text: string, file: string): Table {
  try {
    return parseToml(text) as Table;
  } catch (e) {
    throw refuse('LOCAL_STATE', file, `is not valid TOML (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Whether a TOML line is the header of this server's table or one of its sub-tables. */
function ownsHeader(line: string, plan: InstallPlan): boolean {
  const m = /^\s*\[\s*([^\]]+?)\s*\](\s*#.*)?\s*$/.exec(line);
  if (!m || line.trimStart().startsWith('[[')) return false;
  const key = (m[1] as string).split('.').map((k) => k.trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2'));
  return key[0] === plan.table && key[1] === plan.name;
}

/**
 * `text` (a TOML configuration, or undefined for none) with the server's table replaced
 * (or appended). Comments and every other table are left as they were, byte for byte;
 * `text` itself when the server is already there as planned.
 */
export function mergeToml(text: string | undefined, plan: InstallPlan, file: string): string {
  const before = text ?? '';
  const old = parseTomlIn(before, file);
  const had = isTable(old[plan.table]) ? (old[plan.table] as Table)[plan.name] : undefined;
  if (text !== undefined && isDeepStrictEqual(plain(had), plain(plan.entry))) return text;
  const kept: string[] = [];
  let inOwn = false;
  for (const line of before.split('\n')) {
    if (/^\s*\[/.test(line)) inOwn = ownsHeader(line, plan);
    if (!inOwn) kept.push(line);
  }
  const rest = kept.join('\n').replace(/\s*$/, '');
  const after = `${rest}${rest ? '\n\n' : ''}${renderSnippet(plan)}`;
  let merged: Table;
  try {
    merged = parseToml(after) as Table;
  } catch {
    merged = {};
  }
  // What the file must now say: the same as before, with only this server's entry set.
  const servers = isTable(old[plan.table]) ? old[plan.table] : {};
  const expected = { ...old, [plan.table]: { ...(servers as Table), [plan.name]: plan.entry } };
  if (!isDeepStrictEqual(plain(merged), plain(expected)))
    throw refuse(
      'CONFLICT',
      file,
      `defines ${plan.table}.${plan.name} in a form hush does not edit`,
    );
  return after;
}

/**
 * Merges the server into `plan.file` atomically; `changed` is false when it was already
 * there as planned (nothing is written then).
 */
export async function writeInstall(plan: InstallPlan): Promise<{ file: string; changed: boolean }> {
  const file = plan.file;
  if (file === undefined)
    throw new ToolError('USAGE', 'the generic snippet has no file: give --file');
  let text: string | undefined;
  let mode: number | undefined;
  try {
    text = await readFile(file, 'utf8');
    mode = (await stat(file)).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw refuse('LOCAL_STATE', file, `cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  const next = plan.format === 'toml' ? mergeToml(text, plan, file) : mergeJson(text, plan, file);
  if (next === text) return { file, changed: false };
  await writeFileAtomic(file, next);
  if (mode !== undefined) await chmod(file, mode);
  return { file, changed: true };
}
