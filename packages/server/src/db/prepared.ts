/**
 * Queries built and compiled by Kysely once per shape and then run with new parameter
 * values. Building and compiling a query took about as long as running it on SQLite; the
 * queries every request runs (token lookup, chain heads, membership) and the statements of
 * every write batch skip that.
 *
 * The builder is called once per shape with placeholder values; each placeholder's position
 * among the compiled parameters is recorded, so later runs put the real values in the same
 * places. An argument may be a single value, a list (an `in` list), a row (an object of
 * column values) or a list of rows (an insert): the shape is the lists' lengths and the
 * rows' column names, so a batch of 12 rows and one of 13 are two shapes, each compiled once.
 *
 * Compiled queries are kept per dialect adapter, which a database and its transactions
 * share, so a query run inside a transaction is compiled once too.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { nameStatement } from './pg-named.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

interface Compiled<R> {
  readonly query: CompiledQuery<R>;
  /** For each compiled parameter: the index of the value it takes, or -1 (a constant). */
  readonly slots: readonly number[];
}

/** Shapes kept per query and adapter; beyond it the least recently used is dropped. */
const MAX_SHAPES = 256;

/** Placeholder values are this prefix and their index among the query's values. */
const MARK = '\u0000hush-prepared-';

const isRow = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** A value that binds as a parameter: anything else (undefined, a Kysely expression) is refused. */
function bindable(v: unknown): unknown {
  if (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    typeof v === 'boolean' ||
    v instanceof Uint8Array
  )
    return v;
  throw new Error(`prepared query: cannot bind ${v === undefined ? 'undefined' : typeof v}`);
}

function leaf(v: unknown): unknown {
  if (Array.isArray(v) || isRow(v))
    throw new Error('prepared query: a list or row may only hold single values');
  return bindable(v);
}

/**
 * Pushes the single values of an argument onto `out` and returns its shape. An argument is
 * a single value, a list of them, a row, or a list of rows with the same columns in the
 * same order (checked: the shape names the first row's columns only, so that a batch's
 * shape stays short to build and to look up).
 */
function flatten(v: unknown, out: unknown[]): string {
  if (isRow(v)) {
    const columns = Object.keys(v);
    for (const c of columns) out.push(leaf(v[c]));
    return `{${columns.join()}}`;
  }
  if (!Array.isArray(v)) {
    out.push(bindable(v));
    return '.';
  }
  if (!isRow(v[0])) {
    for (const x of v) out.push(leaf(x));
    return `[${v.length}]`;
  }
  const columns = Object.keys(v[0]);
  for (const row of v) {
    const these = isRow(row) ? Object.keys(row) : [];
    if (these.length !== columns.length || these.some((c, i) => c !== columns[i]))
      throw new Error('prepared query: rows of one list must have the same columns, in order');
    for (const c of columns) out.push(leaf((row as Record<string, unknown>)[c]));
  }
  return `[${v.length}{${columns.join()}}]`;
}

/** The argument `v` with its single values replaced, in `flatten`'s order, by `next()`. */
function marked(v: unknown, next: () => string): unknown {
  if (Array.isArray(v)) return v.map((x) => marked(x, next));
  if (isRow(v)) return Object.fromEntries(Object.keys(v).map((k) => [k, next()]));
  return next();
}

/**
 * A query whose arguments are values, lists or rows.
 *
 * @example
 * const tokenRow = prepared(1, (db, hash: string) =>
 *   db.selectFrom('tokens').selectAll().where('hash', '=', hash));
 * const row = await tokenRow.first(db, hashToken(t));
 */
export class Prepared<A extends readonly unknown[], R> {
  readonly #compiled = new WeakMap<object, Map<string, Compiled<R>>>();

  constructor(
    readonly arity: A['length'],
    readonly build: (db: Db, ...args: A) => Compilable<R>,
  ) {}

  #compile(db: Db, args: A, shape: string): Compiled<R> {
    const adapter = db.getExecutor().adapter;
    let shapes = this.#compiled.get(adapter);
    if (!shapes) this.#compiled.set(adapter, (shapes = new Map()));
    let c = shapes.get(shape);
    if (c) {
      // Least recently used first: a hit moves to the end of the map's order.
      shapes.delete(shape);
      shapes.set(shape, c);
      return c;
    }
    let count = 0;
    const placeholders = args.map((a) => marked(a, () => `${MARK}${count++}`)) as unknown as A;
    const compiled = this.build(db, ...placeholders).compile();
    const slots = compiled.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : -1,
    );
    const used = new Set(slots);
    for (let i = 0; i < count; i++)
      if (!used.has(i))
        throw new Error('prepared query: every value must appear among the parameters');
    // Only the SQL text and the constants are kept, not the builder's node tree.
    const constants = compiled.parameters.map((p, i) => ((slots[i] as number) < 0 ? p : null));
    c = { query: CompiledQuery.raw(compiled.sql, constants) as CompiledQuery<R>, slots };
    // A shape without lists has one SQL text for good: PostgreSQL may keep it prepared.
    if (!shape.includes('[')) nameStatement(compiled.sql);
    if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value as string);
    shapes.set(shape, c);
    return c;
  }

  /** Every row. */
  async all(db: Db, ...args: A): Promise<R[]> {
    if (args.length !== this.arity) throw new Error('prepared query: wrong number of values');
    const values: unknown[] = [];
    let shape = '';
    for (const a of args) shape += flatten(a, values);
    const { query, slots } = this.#compile(db, args, shape);
    const parameters = slots.map((s, i) => (s < 0 ? query.parameters[i] : values[s]));
    const r = await db.executeQuery<R>({ ...query, parameters });
    return r.rows;
  }

  /** The first row, or undefined. */
  async first(db: Db, ...args: A): Promise<R | undefined> {
    return (await this.all(db, ...args))[0];
  }
}

/** A prepared query; see {@link Prepared}. */
export function prepared<A extends readonly unknown[], R>(
  arity: A['length'],
  build: (db: Db, ...args: A) => Compilable<R>,
): Prepared<A, R> {
  return new Prepared(arity, build);
}
