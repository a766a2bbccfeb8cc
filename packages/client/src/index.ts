/**
 * `@hush/client`: the hush SDK, Node entry (`@hush/client/node`; what `@hush/client` resolves
 * to under Node). Every read is verified (chains from the pinned head, key boxes against
 * commitments, envelope signatures and author rights); nothing unverified is returned.
 * Design: docs/CLIENT.md. Browsers and bundlers get `@hush/client/browser` (browser.ts):
 * the same API over WebCrypto and a key-value storage, without node: modules.
 *
 * The API (all methods async unless marked sync):
 *
 * ```ts
 * Hush.init({ home?, server, name, agent?: { sponsor? }, passphrase?, operatorToken?,
 *             storage?, backend?, insecureTransport?, fetch?, timeoutMs? }): Hush  // keys, register, sign in
 * Hush.open({ home?, server?, passphrase?, storage?, backend?, insecureTransport?, fetch?, timeoutMs? }): Hush
 * hush.whoami(): WhoAmI                              // sync: { principalId, deviceId, kind, name, server, home, fingerprint }
 * hush.fingerprint(principalId?): string             // sync: safety number (6 groups own, 12 groups pair)
 * hush.fingerprintOf(member): string                 // pair safety number, member by id or display name
 * hush.join(token): TeamInfo                         // = hush.teams.join
 * hush.watch({ team?, signal?, retryMs? }): AsyncIterable<HushEvent>   // verified messages and snippets; SSE, Last-Event-ID resume
 * hush.takeWarnings(): string[]                      // sync: non-fatal findings
 *
 * hush.teams.create(name): TeamInfo
 * hush.teams.list(): TeamInfo[]                      // verified; names decrypted
 * hush.teams.show(team): TeamDetail                  // memberList, roles, devices, generation, head, audit
 * hush.teams.invite(team, { role?, expiresInMs? }): string   // the token text
 * hush.teams.join(token): TeamInfo
 * hush.teams.add(team, principalId, role?): TeamInfo
 * hush.teams.remove(team, member): TeamInfo          // rotates in the same append
 * hush.teams.setRole(team, member, role): TeamInfo
 * hush.teams.rotate(team): TeamInfo
 * hush.teams.leave(team): TeamInfo
 *
 * hush.messages.send(target, { text, topic?, type?, priority?, replyTo? }): MessageRef
 *   // target: team id or name, or "@member" (principal id or display name)
 * hush.messages.inbox({ team?, unread?, offline? }): Message[]   // verified, newest last
 * hush.messages.read(id) / ack(id): Message
 * hush.messages.thread(id): Message[]
 *
 * hush.snippets.share({ target?, file?, lines?: { first, last }, diffArgs?, content?, language?, path?,
 *                       title?, note?, cwd? }): MessageRef
 *   // a file (range) with language, repo-relative path, git remote and commit; `git diff ARGS`; or content
 * hush.snippets.shareText({ target?, text, language?, title?, note? }): MessageRef   // share with content
 * hush.snippets.list({ from?, team?, offline? }): Snippet[]   // verified, newest last
 * hush.snippets.get(id): Snippet
 *
 * hush.files.put(path | AsyncIterable<Uint8Array>, { team?, to?, name?, mediaType?, onProgress? }): FileRef
 *   // chunked STREAM upload, resumed by a rerun of the same put; the manifest posted last
 * hush.files.list({ team?, offline? }): FileInfo[]      // verified manifests, newest last
 * hush.files.get(id | name, { out: path | Writable, team?, onProgress? }): GetResult
 *   // into <out>.hush-part, renamed only once STREAM, size and SHA-256 verified; resumable
 * hush.files.rm(id | name, { team? }): RemoveResult     // tombstone (team) and blob deletion
 *
 * Hush.joinDevice({ home?, server, token, name?, passphrase? }): Hush   // new machine, device token
 * Hush.restore({ home?, server, words, principalId?, name?, passphrase? }): Hush   // from recovery words
 * hush.devices.link({ expiresInMs? }): string        // device token (device-invite link)
 * hush.devices.waitForJoin(token, { timeoutMs?, pollMs?, signal? }): { deviceId, rotated, skipped }
 * hush.devices.list(): DeviceInfo[]
 * hush.devices.revoke(deviceId): { deviceId, rotated, skipped }   // rotates every team in the same step
 * hush.devices.revokeOthers(): { revoked, rotated, skipped }      // every other device (not recovery keys)
 * hush.recovery.create(): { words, principalId, deviceId, rotated, skipped }   // words shown once
 *
 * hush.secrets.set(name, value, { team?, env?, comment?, ifVersion? }): WriteResult   // env default development
 * hush.secrets.setMany({ NAME: value, ... }, opts): WriteResult[]
 * hush.secrets.get(name, { team?, env? }): Secret
 * hush.secrets.list({ team?, env? }): Secret[]        // sorted by name
 * hush.secrets.values({ team?, env? }): Record<string, string>   // for a child's environment
 * hush.secrets.delete(name, opts) / history(name, opts) / rollback(name, version, opts)
 * hush.secrets.environments({ team? }): { name, secrets }[]
 * hush.secrets.exposedTo(team, member): ExposedSecret[]   // what a (removed) member could read
 * hush.secrets.push(dotenvText, { team?, env?, prune? }): PushResult
 * hush.secrets.diff(dotenvText, { team?, env? }): EnvDiff
 * hush.secrets.pull({ team?, env?, format?, out?, force? }): { text, count, file? }
 * hush.kv.set(key, value, { team?, raw?, comment?, ifVersion? }): WriteResult
 * hush.kv.get(key, { team? }): KvEntry  /  list({ team? }): KvEntry[]
 * hush.kv.delete(key, { team?, ifVersion? }): WriteResult
 * hush.kv.watch({ team?, keys?, signal? }): AsyncIterable<KvEvent>
 * hush.grants.allow(agent, { team?, envs? }): SecretGrant    // human owner/admin; envs default [development]
 * hush.grants.revoke(agent, { team?, envs? }): SecretGrant   // envs default: all (the grant is deleted)
 * hush.grants.get(agent?, { team? }): SecretGrant           // as a reader judges it; default: oneself
 * runMasked(argv, { env, mask, timeoutMs, maxOutputBytes, cwd?, signal? }): MaskedRunResult   // bounded, masked capture
 * parseDotenv(text): DotenvEntry[]  /  serializeDotenv(entries): string   // sync
 *
 * hush.outbox.list(): OutboxEntry[]
 * hush.outbox.flush(): FlushResult
 * ```
 *
 * `team` arguments take a team id or its decrypted name; `member` arguments a principal id
 * or a display name given by a verified team chain (with or without a leading `@`).
 * Errors are typed: VerificationError (with `reason`), AuthError, NetworkError,
 * NotFoundError, ConflictError, UsageError, LocalStateError, all subclasses of ClientError.
 *
 * @example
 * import { Hush } from '@hush/client';
 * const alice = await Hush.init({ home: '/tmp/alice', server: 'http://127.0.0.1:7474', name: 'alice' });
 * const team = await alice.teams.create('platform');
 * const token = await alice.teams.invite(team.id, { role: 'writer' });
 * // on bob's machine: await bob.join(token)
 * await alice.messages.send('platform', { text: 'hello' });
 */
export {
  Hush,
  type InitOptions,
  type JoinDeviceOptions,
  type OpenOptions,
  type RestoreOptions,
} from './hush.js';
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
export type { Message, MessageRef, InboxOptions, SealOptions, SendOptions } from './messages.js';
export type { FileRef, GetOptions, GetResult, PutOptions, RemoveResult } from './files.js';
export type { FileInfo } from './file-versions.js';
export type { Progress } from './node/upload.js';
export type { OutboxEntry } from './outbox.js';
export type { PullFileResult } from './node/pull-file.js';
export {
  DotenvError,
  parseDotenv,
  SECRET_NAME,
  serializeDotenv,
  serializeShell,
  type DotenvEntry,
  type DotenvWrite,
} from './dotenv.js';
export type { WriteResult } from './entries.js';
export { diffEnv, PULL_FORMATS, renderEnv, type EnvDiff, type PullFormat } from './env-sync.js';
export { DEFAULT_ENVIRONMENT } from './secrets.js';
export type {
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
export {
  RESERVED_PREFIX,
  type KvEntry,
  type KvEvent,
  type KvScope,
  type KvSetOptions,
  type KvWatchOptions,
} from './kv.js';
export { GRANT_PREFIX, type GrantOptions, type SecretGrant } from './grants.js';
export { Masker, MASK, maskStream, MIN_MASKED, type MaskOptions } from './node/mask.js';
export { runMasked, type MaskedRunOptions, type MaskedRunResult } from './node/masked-run.js';
export { writeFileAtomic } from './node/atomic.js';
export { fileStorage } from './node/file-storage.js';
export type { NodePlatformOptions } from './node/platform.js';
export { kvStorage, memoryStore, type HushStorage, type KeyValueStore } from './storage.js';
export {
  languageOf,
  type ShareOptions,
  type Snippet,
  type SnippetListOptions,
  type TextShareOptions,
} from './snippets.js';
export { defaultHome } from './node/paths.js';
export { safetyNumber } from './node/fingerprint.js';
export type { InviteOptions, MemberInfo, TeamDetail, TeamInfo } from './teams.js';
export type { HushEvent, WatchFrame, WatchOptions } from './watch.js';
