/**
 * Secrets (`hush.secrets`): per-team environments of named values, stored as entries
 * (entries.ts) of collection `secret` whose blind-index scope is the environment. Names,
 * values, comments and environment names are encrypted; the relay sees blind indexes and
 * version numbers. Agents may read secrets but not write them (PROTOCOL.md 4.4).
 */
import { toBase64url, utf8 } from '@hush/core';
import type { Ctx } from './context.js';
import { parseDotenv, SECRET_NAME } from './dotenv.js';
import { Entries, SECRET_ENTRIES, type EntryVersion, type WriteResult } from './entries.js';
import { syncEntryTeam } from './entry-team.js';
import { chooseTeam } from './only-team.js';
import { diffEnv, renderEnv, type EnvDiff } from './env-sync.js';
import { NotFoundError, UsageError } from './errors.js';
import { lastGenerationHeld, readableBy, resolveMember } from './exposure.js';
import type { Messages } from './messages.js';
import { writePulled, type PullFileResult } from './node/pull-file.js';
import type {
  Author,
  ExposedSecret,
  PullOptions,
  PushOptions,
  PushResult,
  Secret,
  SecretScope,
  SecretSetOptions,
  SecretVersion,
} from './secret-types.js';
import type { Teams } from './teams.js';

/** The environment used when none is named. */
export const DEFAULT_ENVIRONMENT = 'development';

const decoder = new TextDecoder('utf-8', { fatal: true });

function checkName(name: string): void {
  if (!SECRET_NAME.test(name) || name.length > 1024)
    throw new UsageError(
      `"${name}" is not a secret name: use A-Z a-z 0-9 _ . - (at most 1024 characters)`,
    );
}

/** The environment a scope names (default `development`), checked. */
export function environmentOf(scope: SecretScope): string {
  const env = scope.env ?? DEFAULT_ENVIRONMENT;
  // eslint-disable-next-line no-control-regex
  if (env === '' || utf8(env).length > 128 || /[\u0000-\u001f\u007f]/.test(env))
    throw new UsageError('an environment name is 1 to 128 bytes, without control characters');
  return env;
}

/** The secrets namespace of the SDK (`hush.secrets`). */
export class Secrets {
  readonly #entries: Entries;

  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
    private readonly messages: Messages,
  ) {
    this.#entries = new Entries(ctx, teams, messages, SECRET_ENTRIES);
  }

  /** Resolves and syncs the team; returns its id and the environment. */
  async #scope(scope: SecretScope): Promise<{ teamId: Uint8Array; env: string }> {
    const env = environmentOf(scope);
    const teamId = await chooseTeam(this.ctx, this.teams, scope.team);
    await syncEntryTeam(this.ctx, this.messages, teamId);
    return { teamId, env };
  }

  async #author(v: EntryVersion, names: Map<string, string>): Promise<Author> {
    const principalId = toBase64url(v.author);
    let name = names.get(principalId);
    if (name === undefined) names.set(principalId, (name = await this.messages.nameOf(v.author)));
    return { principalId, name };
  }

  /** A value as text; a secret another client stored as non-UTF-8 bytes is reported. */
  #text(v: EntryVersion): string | undefined {
    try {
      return decoder.decode(v.value);
    } catch {
      this.ctx.warnings.push(
        `secret ${v.name} (environment ${v.environment}) is not UTF-8 text: hush leaves it out`,
      );
      return undefined;
    }
  }

  async #secrets(teamId: Uint8Array, env: string, withAuthors: boolean): Promise<Secret[]> {
    const names = new Map<string, string>();
    const out: Secret[] = [];
    for (const v of await this.#entries.latest(teamId)) {
      if (v.environment !== env) continue;
      const value = this.#text(v);
      if (value === undefined) continue;
      out.push({
        name: v.name,
        environment: v.environment,
        value,
        comment: v.comment,
        version: v.version,
        updatedAt: v.createdAt,
        author: withAuthors
          ? await this.#author(v, names)
          : { principalId: toBase64url(v.author), name: '' },
      });
    }
    return out;
  }

  /**
   * Sets one secret (a new version; nothing is written when the value is unchanged).
   * @example
   * await hush.secrets.set('DATABASE_URL', 'postgres://db/app', { env: 'production', comment: 'primary' });
   */
  async set(name: string, value: string, opts: SecretSetOptions = {}): Promise<WriteResult> {
    const [r] = await this.setMany({ [name]: value }, opts);
    return r as WriteResult;
  }

  /**
   * Sets several secrets after one sync, each as its own compare-and-set (not one
   * transaction: on a failure the error names those already written).
   * @example
   * await hush.secrets.setMany({ API_KEY: 'k1', API_URL: 'https://api' }, { env: 'staging' });
   */
  async setMany(
    values: Record<string, string>,
    opts: SecretSetOptions = {},
  ): Promise<WriteResult[]> {
    const pairs = Object.entries(values);
    for (const [n] of pairs) checkName(n);
    if (pairs.length === 0) throw new UsageError('nothing to set');
    const { teamId, env } = await this.#scope(opts);
    return this.#entries.write(
      teamId,
      pairs.map(([name, value]) => ({
        environment: env,
        name,
        value: utf8(value),
        ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
        ...(opts.ifVersion !== undefined ? { ifVersion: opts.ifVersion } : {}),
      })),
    );
  }

  /**
   * One secret's current value.
   * @throws NotFoundError when the name is not set in that environment.
   * @example
   * const { value } = await hush.secrets.get('DATABASE_URL', { env: 'production' });
   */
  async get(name: string, scope: SecretScope = {}): Promise<Secret> {
    checkName(name);
    const { teamId, env } = await this.#scope(scope);
    const v = await this.#entries.current(teamId, env, name);
    const value = v && !v.deleted ? this.#text(v) : undefined;
    if (!v || v.deleted || value === undefined)
      throw new NotFoundError(`no secret ${name} in environment ${env}`);
    return {
      name,
      environment: env,
      value,
      comment: v.comment,
      version: v.version,
      updatedAt: v.createdAt,
      author: await this.#author(v, new Map()),
    };
  }

  /**
   * Every secret of an environment, sorted by name.
   * @example
   * for (const s of await hush.secrets.list({ env: 'development' })) console.log(s.name, s.version);
   */
  async list(scope: SecretScope = {}): Promise<Secret[]> {
    const { teamId, env } = await this.#scope(scope);
    return this.#secrets(teamId, env, true);
  }

  /**
   * The values of an environment as `NAME: value`, for a child process's environment (no
   * author lookups, one sync).
   * @example
   * const env = await hush.secrets.values({ env: 'test' }); spawn('npm', ['test'], { env: { ...process.env, ...env } });
   */
  async values(scope: SecretScope = {}): Promise<Record<string, string>> {
    const { teamId, env } = await this.#scope(scope);
    const out: Record<string, string> = {};
    for (const s of await this.#secrets(teamId, env, false)) out[s.name] = s.value;
    return out;
  }

  /**
   * Deletes a secret (a tombstone version; its history stays).
   * @example
   * await hush.secrets.delete('OLD_TOKEN');
   */
  async delete(name: string, scope: SecretScope = {}): Promise<WriteResult> {
    checkName(name);
    const { teamId, env } = await this.#scope(scope);
    const [r] = await this.#entries.write(teamId, [{ environment: env, name, value: undefined }]);
    return r as WriteResult;
  }

  /**
   * Every version of a secret, oldest first, with author and time.
   * @example
   * for (const v of await hush.secrets.history('API_KEY')) console.log(v.version, v.author.name, v.deleted);
   */
  async history(name: string, scope: SecretScope = {}): Promise<SecretVersion[]> {
    checkName(name);
    const { teamId, env } = await this.#scope(scope);
    const versions = await this.#entries.history(teamId, env, name);
    if (versions.length === 0) throw new NotFoundError(`no secret ${name} in environment ${env}`);
    const names = new Map<string, string>();
    const out: SecretVersion[] = [];
    for (const v of versions) {
      const value = v.deleted ? undefined : this.#text(v);
      out.push({
        version: v.version,
        deleted: v.deleted,
        ...(value !== undefined ? { value } : {}),
        comment: v.comment,
        createdAt: v.createdAt,
        author: await this.#author(v, names),
      });
    }
    return out;
  }

  /**
   * Writes a new version whose value (and comment) is that of an earlier version.
   * @example
   * await hush.secrets.rollback('API_KEY', 3);
   */
  async rollback(name: string, version: number, scope: SecretScope = {}): Promise<WriteResult> {
    checkName(name);
    const { teamId, env } = await this.#scope(scope);
    const old = (await this.#entries.history(teamId, env, name)).find((v) => v.version === version);
    if (!old)
      throw new NotFoundError(`secret ${name} in environment ${env} has no version ${version}`);
    if (old.deleted || old.value === undefined)
      throw new UsageError(`version ${version} of ${name} is a deletion: use delete instead`);
    const [r] = await this.#entries.write(teamId, [
      { environment: env, name, value: old.value, comment: old.comment },
    ]);
    return r as WriteResult;
  }

  /**
   * The environments of a team that hold secrets, with how many each holds.
   * @example
   * await hush.secrets.environments(); // [{ name: 'development', secrets: 12 }, { name: 'production', secrets: 9 }]
   */
  async environments(scope: { team?: string } = {}): Promise<{ name: string; secrets: number }[]> {
    const teamId = await chooseTeam(this.ctx, this.teams, scope.team);
    await syncEntryTeam(this.ctx, this.messages, teamId);
    const counts = new Map<string, number>();
    for (const v of await this.#entries.latest(teamId))
      counts.set(v.environment, (counts.get(v.environment) ?? 0) + 1);
    return [...counts].map(([name, secrets]) => ({ name, secrets }));
  }

  /**
   * The secrets a member (principal id, or the name of a current or former member) could
   * read: after `teams.remove`, every value written before the rotation. They must be
   * rotated at their source.
   * @example
   * await hush.teams.remove('core', '@mallory');
   * for (const s of await hush.secrets.exposedTo('core', '@mallory')) console.log(s.environment, s.name);
   */
  async exposedTo(team: string, member: string): Promise<ExposedSecret[]> {
    const teamId = await chooseTeam(this.ctx, this.teams, team);
    const st = await syncEntryTeam(this.ctx, this.messages, teamId);
    const who = await resolveMember(this.ctx, st, member);
    const held = lastGenerationHeld(st, who);
    if (held === undefined) throw new NotFoundError(`${member} was never a member of that team`);
    return readableBy(await this.#entries.latest(teamId), held).map((v) => ({
      name: v.name,
      environment: v.environment,
      version: v.version,
      updatedAt: v.createdAt,
    }));
  }

  /**
   * Sets the names a `.env` text adds or changes (and, with `prune`, deletes those it does
   * not name), after one sync; unchanged names write nothing.
   * @throws DotenvError (a UsageError) naming the first malformed line; nothing is written.
   * @example
   * await hush.secrets.push(await readFile('.env', 'utf8'), { env: 'development', prune: true });
   */
  async push(text: string, opts: PushOptions = {}): Promise<PushResult> {
    const file = parseDotenv(text);
    for (const e of file) checkName(e.name);
    const { teamId, env } = await this.#scope(opts);
    const current = await this.#secrets(teamId, env, false);
    const d = diffEnv(file, new Map(current.map((s) => [s.name, s.value])));
    const values = new Map(file.map((e) => [e.name, e.value]));
    const changes = [
      ...[...d.added, ...d.changed].map((name) => ({
        environment: env,
        name,
        value: utf8(values.get(name) ?? ''),
      })),
      ...(opts.prune ? d.removed : []).map((name) => ({
        environment: env,
        name,
        value: undefined,
      })),
    ];
    await this.#entries.write(teamId, changes);
    return {
      added: d.added,
      changed: d.changed,
      removed: opts.prune ? d.removed : [],
      unchanged: file.length - d.added.length - d.changed.length,
    };
  }

  /**
   * Compares a `.env` text with an environment (names only; values are never returned).
   * @example
   * const d = await hush.secrets.diff(await readFile('.env', 'utf8'));
   * const inSync = d.added.length + d.removed.length + d.changed.length === 0;
   */
  async diff(text: string, scope: SecretScope = {}): Promise<EnvDiff> {
    const file = parseDotenv(text);
    const { teamId, env } = await this.#scope(scope);
    const current = await this.#secrets(teamId, env, false);
    return diffEnv(file, new Map(current.map((s) => [s.name, s.value])));
  }

  /**
   * Renders an environment as a `.env` file, JSON or shell `export` lines; with `out`,
   * writes it there atomically with mode 0600, refusing (ConflictError) to replace a file
   * that differs from what hush last wrote there unless `force`.
   * @example
   * await hush.secrets.pull({ env: 'development', out: '.env' });
   * const { text } = await hush.secrets.pull({ format: 'json' });
   */
  async pull(
    opts: PullOptions = {},
  ): Promise<{ text: string; count: number; file?: PullFileResult }> {
    const { teamId, env } = await this.#scope(opts);
    const secrets = await this.#secrets(teamId, env, false);
    const text = renderEnv(
      secrets.map((s) => ({ name: s.name, value: s.value, comment: s.comment })),
      opts.format ?? 'dotenv',
      `environment ${env} (written by hush secrets pull)`,
    );
    if (opts.out === undefined) return { text, count: secrets.length };
    const file = await writePulled(this.ctx, opts.out, text, opts.force === true);
    return { text, count: secrets.length, file };
  }
}
