/**
 * Queries of a fixed shape, built and compiled by Kysely once per database and then run with
 * new parameter values. Building and compiling a query took about as long as running it on
 * SQLite; the queries every request runs (token lookup, chain heads, membership) skip that.
 *
 * The builder is called once with placeholder values; each placeholder's position among the
 * compiled parameters is recorded, so later runs put the real values in the same places.
 * Only a shape that does not depend on the values qualifies (no `in` lists of varying
 * length).
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

interface Compiled<R> {
  readonly query: CompiledQuery<R>;
  /** For each compiled parameter: the index of the argument it takes, or -1 (a constant). */
  readonly slots: readonly number[];
}

/**
 * A query shape taking `arity` values.
 *
 * @example
 * const tokenRow = prepared(1, (db, hash: string) =>
 *   db.selectFrom('tokens').selectAll().where('hash', '=', hash));
 * const row = await tokenRow.first(db, hashToken(t));
 */
export class Prepared<A extends readonly unknown[], R> {
  readonly #compiled = new WeakMap<Db, Compiled<R>>();

  constructor(
    readonly arity: A['length'],
    readonly build: (db: Db, ...args: A) => Compilable<R>,
  ) {}

  #compile(db: Db): Compiled<R> {
    let c = this.#compiled.get(db);
    if (c) return c;
    const marks = Array.from({ length: this.arity }, (_, i) => `\u0000hush-prepared-${i}`);
    const query = this.build(db, ...(marks as unknown as A)).compile();
    const slots = query.parameters.map((p) => marks.indexOf(p as string));
    if (marks.some((_, i) => !slots.includes(i)))
      throw new Error('prepared query: every value must appear among the parameters');
    c = { query, slots };
    this.#compiled.set(db, c);
    return c;
  }

  /** Every row. */
  async all(db: Db, ...args: A): Promise<R[]> {
    const { query, slots } = this.#compile(db);
    const parameters = slots.map((s, i) => (s < 0 ? query.parameters[i] : args[s]));
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
