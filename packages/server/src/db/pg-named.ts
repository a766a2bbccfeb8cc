/**
 * Named prepared statements on PostgreSQL for the queries whose SQL never changes (the
 * token lookup, chain heads and membership every request runs, and the batch statements
 * without `in` lists). node-postgres otherwise sends every query as an unnamed statement,
 * which PostgreSQL parses and plans anew each time: planning was a third of PostgreSQL's CPU
 * under the write bench. A named statement is parsed once per connection, and after five
 * runs PostgreSQL may switch it to a generic plan that is not planned again.
 *
 * Only texts registered here are named (db/prepared.ts registers the shapes without lists),
 * so the statements a connection keeps stay few: a list's length is part of its text.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Most texts named; more would only be run unnamed. */
const MAX_NAMED = 512;
const names = new Map<string, string>();

/** Lets `text` run as a named statement (ignored once MAX_NAMED texts are named). */
export function nameStatement(text: string): void {
  if (names.has(text) || names.size >= MAX_NAMED) return;
  names.set(text, `hush_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

/** Makes a pooled client run registered texts as named statements. */
export function useNamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]): unknown => {
    const [text, values] = args;
    const name = typeof text === 'string' && args.length === 2 ? names.get(text) : undefined;
    return name ? query({ name, text, values }) : query(...args);
  };
}
