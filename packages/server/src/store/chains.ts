/**
 * Loads verified principal and team chains from the database. The server verifies every
 * link with the same core code clients use (defence in depth: clients never rely on it).
 *
 * Reads use a cache whose entry is valid only while its head matches the database, so
 * several server processes on one PostgreSQL stay correct. Concurrent reads that miss it
 * for the same head share one load (after a restart, a burst of requests would otherwise
 * each verify the same chain), and a load never replaces a newer cached state. Writes load
 * a fresh state inside their transaction and never touch the cache, so concurrent appends
 * cannot corrupt it.
 */
import {
  fromBase64url,
  parseLink,
  PrincipalState,
  teamCodec,
  TeamState,
  toBase64url,
  type CryptoBackend,
  type PrincipalResolver,
} from '@hush/core';
import type { Kysely } from 'kysely';
import type { Caller } from '../context.js';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { chainLoads } from '../metrics.js';
import { InFlight } from './in-flight.js';

type Db = Kysely<Database>;

const principalHead = prepared(1, (db, id: string) =>
  db.selectFrom('principals').select('head_seq').where('id', '=', id),
);
const teamHead = prepared(1, (db, id: string) =>
  db.selectFrom('teams').select('head_seq').where('id', '=', id),
);

const principalLoads = chainLoads.series({ chain: 'principal' });
const teamLoads = chainLoads.series({ chain: 'team' });

/** Caches `st` under `id` unless a newer state (chains only grow) is there already. */
function keepNewer<S extends { readonly seq: number }>(
  cache: Map<string, S>,
  id: string,
  st: S | undefined,
): S | undefined {
  const cached = cache.get(id);
  if (st && (!cached || cached.seq <= st.seq)) cache.set(id, st);
  return st;
}

export class ChainStore {
  readonly #principals = new Map<string, PrincipalState>();
  readonly #teams = new Map<string, TeamState>();
  readonly #principalLoads = new InFlight<PrincipalState | undefined>();
  readonly #teamLoads = new InFlight<TeamState | undefined>();

  constructor(
    readonly db: Db,
    readonly b: CryptoBackend,
  ) {}

  async #loadPrincipal(id: string, db: Db): Promise<PrincipalState | undefined> {
    const rows = await db
      .selectFrom('principal_links')
      .select('link')
      .where('principal_id', '=', id)
      .orderBy('seq')
      .execute();
    if (rows.length === 0) return undefined;
    principalLoads.value += 1;
    return PrincipalState.verify(
      this.b,
      rows.map((r) => r.link),
      fromBase64url(id),
    );
  }

  /**
   * The verified principal chain (cached for reads), or undefined when unknown. `knownHead`
   * is its head as the request already read it (the caller's, with the token).
   */
  async principal(id: string, knownHead?: number): Promise<PrincipalState | undefined> {
    const head = knownHead ?? (await principalHead.first(this.db, id))?.head_seq;
    if (head === undefined) return undefined;
    const cached = this.#principals.get(id);
    if (cached && cached.seq === head) return cached;
    return this.#principalLoads.run(`${id} ${head}`, async () =>
      keepNewer(this.#principals, id, await this.#loadPrincipal(id, this.db)),
    );
  }

  /** A fresh, uncached principal state for a write transaction. */
  freshPrincipal(id: string, trx: Db): Promise<PrincipalState | undefined> {
    return this.#loadPrincipal(id, trx);
  }

  /** A resolver for the caller's own principal, from the head read with its token. */
  async callerResolver(caller: Caller): Promise<PrincipalResolver> {
    const p = await this.principal(caller.principalId, caller.principalHead);
    return (id) => (p && toBase64url(id) === caller.principalId ? p : undefined);
  }

  /** Loads the principals named (freshly when `trx` is given) and returns a synchronous resolver. */
  async resolver(ids: Iterable<string>, trx?: Db): Promise<PrincipalResolver> {
    const map = new Map<string, PrincipalState>();
    for (const id of new Set(ids)) {
      const p = trx ? await this.#loadPrincipal(id, trx) : await this.principal(id);
      if (p) map.set(id, p);
    }
    return (id) => map.get(toBase64url(id));
  }

  /** Principal ids a set of team links mentions (authors and members). */
  async mentioned(links: readonly Uint8Array[]): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const bytes of links) {
      const l = await parseLink(this.b, teamCodec, bytes);
      ids.add(toBase64url(l.author));
      if ('member' in l.body) ids.add(toBase64url(l.body.member));
    }
    return ids;
  }

  async #loadTeam(id: string, db: Db, fresh: boolean): Promise<TeamState | undefined> {
    const rows = await db
      .selectFrom('team_links')
      .select('link')
      .where('team_id', '=', id)
      .orderBy('seq')
      .execute();
    if (rows.length === 0) return undefined;
    const links = rows.map((r) => r.link);
    teamLoads.value += 1;
    const resolve = await this.resolver(await this.mentioned(links), fresh ? db : undefined);
    return TeamState.verify(this.b, links, resolve, fromBase64url(id));
  }

  /**
   * The verified team chain (cached for reads), or undefined when unknown. `knownHead` is
   * its head as the request already read it (null: no such team).
   */
  async team(id: string, knownHead?: number | null): Promise<TeamState | undefined> {
    const head =
      knownHead === undefined ? (await teamHead.first(this.db, id))?.head_seq : knownHead;
    if (head === undefined || head === null) return undefined;
    const cached = this.#teams.get(id);
    if (cached && cached.seq === head) return cached;
    return this.#teamLoads.run(`${id} ${head}`, async () =>
      keepNewer(this.#teams, id, await this.#loadTeam(id, this.db, false)),
    );
  }

  /** A fresh, uncached team state for a write transaction. */
  freshTeam(id: string, trx: Db): Promise<TeamState | undefined> {
    return this.#loadTeam(id, trx, true);
  }
}
