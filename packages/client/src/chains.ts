/**
 * Verified sync of principal and team chains and of team keys (docs/CLIENT.md steps 1-3).
 * The stored chains were verified when they were stored and are replayed on load against
 * their pins (every check but the signatures, see replay.ts);
 * a sync fetches the links after the pin, requires the pinned link to be there unchanged
 * (else rollback or fork), applies the rest with core's `apply`, and only then moves the pin.
 * On any failure the in-memory state is rebuilt from the stored bytes and nothing moves.
 */
import {
  ChainError,
  checkAgainstPin,
  equalBytes,
  fromBase64url,
  openKeyBox,
  parseLink,
  PrincipalState,
  TeamState,
  teamCodec,
  toBase64url,
  walkBack,
  type CryptoBackend,
  type DeviceSecretKeys,
  type TeamKey,
} from '@hush/core';
import { asTeamKey } from '@hush/core';
import type { Api } from './api.js';
import {
  ClientError,
  LocalStateError,
  NotFoundError,
  VerificationError,
  verificationFailure,
} from './errors.js';
import { replayBackend } from './replay.js';
import type { ChainRecord, SecretBox, StateData, TeamRecord } from './state.js';

const b64 = toBase64url;

interface LinksAnswer {
  links: string[];
  fromSeq: number;
}

function decodeLinks(r: LinksAnswer, since: number, what: string): Uint8Array[] {
  if (!r || !Array.isArray(r.links) || r.fromSeq !== since)
    throw new VerificationError('malformed', `the relay sent a malformed ${what} chain answer`);
  try {
    return r.links.map((l) => fromBase64url(l));
  } catch (e) {
    throw new VerificationError('encoding', `the relay sent a malformed ${what} link`, {
      cause: e,
    });
  }
}

/**
 * Checks fetched links (starting at the pinned seq) against the stored pinned link; `what`
 * names the chain in errors (its kind and the start of its id).
 */
function checkPinned(rec: ChainRecord, fetched: Uint8Array[], what: string): Uint8Array[] {
  const [first, ...rest] = fetched;
  if (first === undefined)
    throw new VerificationError(
      'rollback',
      `${what} chain ends before the pinned link ${rec.pin.seq} (rollback)`,
    );
  const pinned = rec.links[rec.pin.seq];
  if (pinned === undefined) throw new LocalStateError(`state.json lost a pinned ${what} link`);
  if (!equalBytes(first, fromBase64url(pinned)))
    throw new VerificationError(
      'fork',
      `${what} chain differs from the pinned link ${rec.pin.seq} (fork)`,
    );
  return rest;
}

/** In-memory verified chains and keys, backed by state.json. */
export class Chains {
  readonly principals = new Map<string, PrincipalState>();
  readonly teams = new Map<string, TeamState>();
  readonly #keys = new Map<string, Map<number, TeamKey>>();
  readonly #syncing = new Map<string, Promise<PrincipalState>>();
  /** For chains read back from state only. */
  readonly #replay: CryptoBackend;

  constructor(
    private readonly b: CryptoBackend,
    readonly data: StateData,
    private readonly secrets: SecretBox,
  ) {
    this.#replay = replayBackend(b);
  }

  /** Looks up a verified principal chain. */
  resolve = (id: Uint8Array): PrincipalState | undefined => this.principals.get(b64(id));

  /** Replays every stored chain (principals first, then teams) against its pin. */
  async load(): Promise<void> {
    try {
      for (const [id, rec] of Object.entries(this.data.principals)) {
        const st = await PrincipalState.verify(
          this.#replay,
          rec.links.map(fromBase64url),
          fromBase64url(id),
        );
        checkAgainstPin(st.hashes, { seq: rec.pin.seq, head: fromBase64url(rec.pin.head) });
        this.principals.set(id, st);
      }
      for (const id of Object.keys(this.data.teams)) await this.#rebuildTeam(id);
    } catch (e) {
      if (e instanceof ClientError) throw e;
      throw new LocalStateError(
        `stored chains in state.json do not verify: ${(e as Error).message}`,
      );
    }
  }

  async #rebuildPrincipal(id: string): Promise<void> {
    const rec = this.data.principals[id];
    if (!rec) return void this.principals.delete(id);
    this.principals.set(
      id,
      await PrincipalState.verify(this.#replay, rec.links.map(fromBase64url), fromBase64url(id)),
    );
  }

  async #rebuildTeam(id: string): Promise<void> {
    const rec = this.data.teams[id];
    if (!rec) return void this.teams.delete(id);
    const st = await TeamState.verify(
      this.#replay,
      rec.links.map(fromBase64url),
      this.resolve,
      fromBase64url(id),
    );
    checkAgainstPin(st.hashes, { seq: rec.pin.seq, head: fromBase64url(rec.pin.head) });
    this.teams.set(id, st);
  }

  /**
   * Step 1: brings a principal chain up to date from the relay (verified against its id),
   * once per `session` set. Concurrent calls for one principal share one sync, so a chain
   * is never applied twice at once.
   */
  async syncPrincipal(api: Api, id: Uint8Array, session?: Set<string>): Promise<PrincipalState> {
    const key = b64(id);
    const known = this.principals.get(key);
    if (known && session?.has(key)) return known;
    const running = this.#syncing.get(key);
    if (running) {
      const st = await running;
      session?.add(key);
      return st;
    }
    const p = this.#syncPrincipal(api, id, key, known, session);
    this.#syncing.set(key, p);
    try {
      return await p;
    } finally {
      this.#syncing.delete(key);
    }
  }

  async #syncPrincipal(
    api: Api,
    id: Uint8Array,
    key: string,
    known: PrincipalState | undefined,
    session?: Set<string>,
  ): Promise<PrincipalState> {
    const rec = this.data.principals[key];
    const since = rec ? rec.pin.seq : 0;
    const fetched = decodeLinks(
      await api.request<LinksAnswer>('GET', `/v1/principals/${key}/links`, undefined, {
        auth: false,
        query: { since },
      }),
      since,
      'principal',
    );
    let st: PrincipalState;
    try {
      if (rec && known) {
        const rest = checkPinned(rec, fetched, `principal ${key.slice(0, 8)}`);
        for (const l of rest) await known.apply(this.b, l);
        st = known;
        rec.links.push(...rest.map(b64));
      } else {
        st = await PrincipalState.verify(this.b, fetched, id);
        this.data.principals[key] = { links: fetched.map(b64), pin: { seq: 0, head: '' } };
      }
    } catch (e) {
      if (rec) {
        rec.links.length = rec.pin.seq + 1;
        await this.#rebuildPrincipal(key);
      }
      throw verificationFailure(e, `principal ${key.slice(0, 8)} does not verify`);
    }
    const r = this.data.principals[key] as ChainRecord;
    r.pin = { seq: st.seq, head: b64(st.head) };
    this.principals.set(key, st);
    session?.add(key);
    return st;
  }

  /** Records a principal chain verified elsewhere (our own genesis at init). */
  async addPrincipal(links: Uint8Array[]): Promise<PrincipalState> {
    const st = await PrincipalState.verify(this.b, links);
    const key = b64(st.id);
    this.data.principals[key] = { links: links.map(b64), pin: { seq: st.seq, head: b64(st.head) } };
    this.principals.set(key, st);
    return st;
  }

  /** Syncs every principal a team link refers to (author, added member) before applying it. */
  async #principalsFor(api: Api, link: Uint8Array, session: Set<string>): Promise<void> {
    let parsed;
    try {
      parsed = await parseLink(this.b, teamCodec, link);
    } catch (e) {
      throw verificationFailure(e, 'team link does not parse');
    }
    await this.syncPrincipal(api, parsed.author, session);
    if (parsed.body.type === 'add-member')
      await this.syncPrincipal(api, parsed.body.member, session);
  }

  /**
   * Step 2: verifies a team chain from the relay (or from `preview` links) against the team
   * id and the pin; `assertComplete()` before the pin moves.
   */
  async syncTeam(
    api: Api,
    teamId: Uint8Array,
    session: Set<string>,
    preview?: Uint8Array[],
  ): Promise<TeamState> {
    const key = b64(teamId);
    const rec = this.data.teams[key];
    const known = this.teams.get(key);
    let fetched: Uint8Array[];
    const since = rec && known && !preview ? rec.pin.seq : 0;
    if (preview) fetched = preview;
    else {
      try {
        fetched = decodeLinks(
          await api.request<LinksAnswer>('GET', `/v1/teams/${key}/links`, undefined, {
            query: { since },
          }),
          since,
          'team',
        );
      } catch (e) {
        if (e instanceof NotFoundError && rec) rec.gone = true;
        throw e;
      }
    }
    let st: TeamState;
    const added: Uint8Array[] = [];
    try {
      if (rec && known) {
        const rest = preview
          ? checkPinned(rec, fetched.slice(rec.pin.seq), `team ${key.slice(0, 8)}`)
          : checkPinned(rec, fetched, `team ${key.slice(0, 8)}`);
        for (const l of rest) {
          await this.#principalsFor(api, l, session);
          await known.apply(this.b, l, this.resolve);
          added.push(l);
        }
        known.assertComplete();
        st = known;
      } else {
        const [first, ...rest] = fetched;
        if (!first) throw new ChainError('bad-genesis', 'team chain is empty');
        await this.#principalsFor(api, first, session);
        st = await TeamState.fromCreate(this.b, first, this.resolve, teamId);
        for (const l of rest) {
          await this.#principalsFor(api, l, session);
          await st.apply(this.b, l, this.resolve);
        }
        st.assertComplete();
        added.push(...fetched);
      }
    } catch (e) {
      if (rec) await this.#rebuildTeam(key);
      throw verificationFailure(e, `team ${key.slice(0, 8)} does not verify`);
    }
    const r: TeamRecord = rec ?? {
      links: [],
      pin: { seq: 0, head: '' },
      keys: {},
      cursor: 0,
      objects: [],
    };
    r.links.push(...added.map(b64));
    r.pin = { seq: st.seq, head: b64(st.head) };
    delete r.gone;
    this.data.teams[key] = r;
    this.teams.set(key, st);
    return st;
  }

  /** Applies links this device appended and the relay accepted. */
  async appendTeam(teamId: Uint8Array, links: Uint8Array[], create = false): Promise<TeamState> {
    const key = b64(teamId);
    let st = this.teams.get(key);
    let rest = links;
    if (create) {
      st = await TeamState.fromCreate(this.b, links[0] as Uint8Array, this.resolve, teamId);
      rest = links.slice(1);
      this.data.teams[key] = {
        links: [],
        pin: { seq: 0, head: '' },
        keys: {},
        cursor: 0,
        objects: [],
      };
    }
    if (!st) throw new NotFoundError('unknown team');
    for (const l of rest) await st.apply(this.b, l, this.resolve);
    st.assertComplete();
    const r = this.data.teams[key] as TeamRecord;
    r.links.push(...links.map(b64));
    r.pin = { seq: st.seq, head: b64(st.head) };
    this.teams.set(key, st);
    return st;
  }

  /** Stores a team key after checking it against the verified commitment. */
  async storeKey(teamId: Uint8Array, generation: number, key: TeamKey): Promise<void> {
    const id = b64(teamId);
    const st = this.teams.get(id);
    if (!st) throw new NotFoundError('unknown team');
    await walkBack(this.b, st, { generation, key }, generation); // checks the commitment
    const rec = this.data.teams[id] as TeamRecord;
    rec.keys[String(generation)] = await this.secrets.seal(key);
    let m = this.#keys.get(id);
    if (!m) this.#keys.set(id, (m = new Map()));
    m.set(generation, key);
  }

  /** Step 3: opens this device's key boxes for generations whose key is not known yet. */
  async syncKeys(
    api: Api,
    teamId: Uint8Array,
    device: DeviceSecretKeys,
    boxes?: { generation: number; box: string }[],
  ): Promise<void> {
    const id = b64(teamId);
    const st = this.teams.get(id);
    const rec = this.data.teams[id];
    if (!st || !rec) throw new NotFoundError('unknown team');
    if (rec.keys[String(st.current.generation)] !== undefined && !boxes) return;
    const list =
      boxes ??
      (
        await api.request<{ keyBoxes: { generation: number; box: string }[] }>(
          'GET',
          `/v1/teams/${id}/keyboxes`,
        )
      ).keyBoxes;
    if (!Array.isArray(list))
      throw new VerificationError('malformed', 'the relay sent a malformed key box list');
    let failure: unknown;
    for (const kb of list) {
      const gen = st.generations[kb.generation - 1];
      if (!gen || rec.keys[String(kb.generation)] !== undefined) continue;
      try {
        const key = await openKeyBox(
          this.b,
          fromBase64url(kb.box),
          { teamId, generation: gen.generation, recipientId: device.id, commitment: gen.keyCommit },
          device.kemSk,
        );
        await this.storeKey(teamId, gen.generation, key);
      } catch (e) {
        failure = e;
      }
    }
    if (failure !== undefined && rec.keys[String(st.current.generation)] === undefined)
      throw verificationFailure(failure, 'a key box from the relay does not verify');
  }

  /** The key of a generation: stored, or walked back from a newer stored one. */
  async keyFor(teamId: Uint8Array, generation: number): Promise<TeamKey> {
    const id = b64(teamId);
    const st = this.teams.get(id);
    const rec = this.data.teams[id];
    if (!st || !rec) throw new NotFoundError('unknown team');
    const cached = this.#keys.get(id)?.get(generation);
    if (cached) return cached;
    const gens = Object.keys(rec.keys)
      .map(Number)
      .filter((g) => g >= generation)
      .sort((x, y) => x - y);
    const from = gens[0];
    if (from === undefined)
      throw new VerificationError(
        'no-key',
        `this device holds no key for generation ${generation} of the team`,
      );
    const known = asTeamKey(await this.secrets.open(rec.keys[String(from)] as string));
    const key = await walkBack(this.b, st, { generation: from, key: known }, generation);
    let m = this.#keys.get(id);
    if (!m) this.#keys.set(id, (m = new Map()));
    m.set(generation, key);
    return key;
  }
}
