/**
 * `@hush/client/browser`: the hush SDK for browsers and bundlers (what `@hush/client`
 * resolves to under the `browser` condition). The same API as the Node entry (see index.ts
 * and docs/CLIENT.md) over WebCrypto (core's `webCryptoBackend`) and a key-value storage
 * (`indexedDbStore()`, or `memoryStore()`, the default). Nothing here imports a node:
 * module; a test walks this entry's import graph and bundles it for the browser to keep it
 * so. Not here: passphrase-protected identities (scrypt), and snippets read from files or
 * git (share `content` instead).
 *
 * @example
 * import { Hush, indexedDbStore } from '@hush/client/browser';
 * const alice = await Hush.init({ server: 'https://hush.example.com', name: 'alice', storage: indexedDbStore() });
 * const team = await alice.teams.create('platform');
 * await alice.messages.send(team.id, { text: 'hello from a browser' });
 */
export {
  browserPlatform,
  Hush,
  type BrowserInitOptions,
  type BrowserJoinDeviceOptions,
  type BrowserOpenOptions,
  type BrowserPlatformOptions,
  type BrowserRestoreOptions,
} from './browser/hush.js';
export { indexedDbStore } from './browser/indexeddb.js';
export { HushBase, type FlushResult, type WhoAmI } from './base.js';
export type { ApiOptions } from './api.js';
export type { AuditResult } from './audit.js';
export type { DeviceInfo, LinkOptions, RotationReport, WaitOptions } from './devices.js';
export { decodeRecoveryWords, encodeRecoveryWords } from './recovery.js';
export {
  AuthError,
  ClientError,
  ConflictError,
  LocalStateError,
  NetworkError,
  NotFoundError,
  UsageError,
  VerificationError,
  type ErrorOptions,
} from './errors.js';
export type { Message, MessageRef, InboxOptions, SendOptions } from './messages.js';
export type { OutboxEntry } from './outbox.js';
export { kvStorage, memoryStore, type HushStorage, type KeyValueStore } from './storage.js';
export {
  languageOf,
  type ShareOptions,
  type Snippet,
  type SnippetListOptions,
} from './snippets.js';
export type { InviteOptions, MemberInfo, TeamDetail, TeamInfo } from './teams.js';
export type { HushEvent, WatchOptions } from './watch.js';
