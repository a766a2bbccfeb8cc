/**
 * The option and result types of `hush.secrets` (secrets.ts), apart so the namespace's
 * file holds its logic.
 */
import type { EnvDiff, PullFormat } from './env-sync.js';

/** Which team and environment a call works on. */
export interface SecretScope {
  /** Team id or name; default: the only team this principal is in. */
  readonly team?: string;
  /** Environment name (any 1 to 128 bytes); default `development`. */
  readonly env?: string;
}

/** Options of `secrets.set`. */
export interface SecretSetOptions extends SecretScope {
  /** Stored with the value (encrypted); default: keep the current comment. */
  readonly comment?: string;
  /** Write only if the secret's latest version is this one (0: it must not exist yet). */
  readonly ifVersion?: number;
}

/** Who wrote a version: principal id and display name ('' when none is known). */
export interface Author {
  readonly principalId: string;
  readonly name: string;
}

/** A secret's current value. */
export interface Secret {
  readonly name: string;
  readonly environment: string;
  readonly value: string;
  readonly comment: string;
  readonly version: number;
  /** When this version was written, as its author claims (ms since the epoch). */
  readonly updatedAt: number;
  readonly author: Author;
}

/** One version in a secret's history; a deletion has no value. */
export interface SecretVersion {
  readonly version: number;
  readonly deleted: boolean;
  readonly value?: string;
  readonly comment: string;
  readonly createdAt: number;
  readonly author: Author;
}

/** What `secrets.push` did (names, sorted). */
export interface PushResult extends EnvDiff {
  readonly unchanged: number;
}

/** Options of `secrets.push`. */
export interface PushOptions extends SecretScope {
  /** Also delete the environment's secrets that the file does not name. */
  readonly prune?: boolean;
}

/** Options of `secrets.pull`. */
export interface PullOptions extends SecretScope {
  readonly format?: PullFormat;
  /** Write to this file (atomically, 0600); without it the text is returned. */
  readonly out?: string;
  /** Replace a file that differs from what hush last wrote there. */
  readonly force?: boolean;
}

/** A secret a member could read. */
export interface ExposedSecret {
  readonly name: string;
  readonly environment: string;
  readonly version: number;
  readonly updatedAt: number;
}
