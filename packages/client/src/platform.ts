/**
 * What the SDK takes from the platform it runs on: the crypto backend, the storage of the
 * identity's records, and optional capabilities only some platforms have (scrypt for
 * passphrases, a synchronous SHA-256 for `fingerprint()`, snippets from files and git).
 * The Node entry (`@hush/client`) fills all of them; the browser entry
 * (`@hush/client/browser`) gives WebCrypto and a key-value storage, and nothing that needs
 * node: modules.
 */
import type { CryptoBackend, SnippetBody } from '@hush/core';
import type { PassphraseKdf } from './identity.js';
import type { ShareOptions } from './snippets.js';
import type { HushStorage } from './storage.js';

/** The files of one home (on Node; record names elsewhere). */
export interface HomePaths {
  readonly home: string;
  readonly identity: string;
  readonly state: string;
  readonly outbox: string;
}

/** What `snippets.share` reads from the local machine (files and `git diff`: Node only). */
export type SnippetSource = (o: ShareOptions) => Promise<SnippetBody>;

/** The platform capabilities an SDK instance runs with. */
export interface Platform {
  readonly backend: CryptoBackend;
  readonly storage: HushStorage;
  /** `Ctx.paths`: the home's files on Node; the storage's record names elsewhere. */
  readonly paths: HomePaths;
  /** scrypt for passphrase-protected identities; absent: a passphrase is refused. */
  readonly kdf?: PassphraseKdf;
  /** A synchronous SHA-256, so `fingerprint(id)` can stay synchronous for any id. */
  readonly sha256Sync?: (data: Uint8Array) => Uint8Array;
  /** Reads files and runs git for `snippets.share`; absent: only `content` can be shared. */
  readonly snippetSource?: SnippetSource;
  /** HTTP for the relay when the caller gives no `fetch` (default: the global fetch). */
  readonly fetch?: typeof fetch;
}

/** Record names as paths, for a storage that has no files. */
export function recordPaths(s: HushStorage): HomePaths {
  return {
    home: s.location,
    identity: s.describe('identity'),
    state: s.describe('state'),
    outbox: s.describe('outbox/'),
  };
}
