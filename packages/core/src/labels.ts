/**
 * Domain-separation labels and the one way hush builds KDF info strings and hash inputs:
 * str(label) || context fields (PROTOCOL.md section 1.4). Keeping every label here makes
 * the spec's label table checkable against the code.
 */
import type { CryptoBackend } from './backend/types.js';
import { Writer } from './encoding/canonical.js';

/** Every label hush uses, by purpose. All are ASCII and start with "hush/v1/". */
export const LABEL = {
  deviceId: 'hush/v1/device-id',
  linkHash: 'hush/v1/link-hash',
  linkSig: 'hush/v1/link-sig',
  linkCounterSig: 'hush/v1/link-countersig',
  linkInviteSig: 'hush/v1/link-invitesig',
  inviteId: 'hush/v1/invite-id',
  inviteSig: 'hush/v1/invite-sig',
  inviteKem: 'hush/v1/invite-kem',
  recoverySig: 'hush/v1/recovery-sig',
  recoveryKem: 'hush/v1/recovery-kem',
  keyCommit: 'hush/v1/key-commit',
  prevKey: 'hush/v1/prev-key',
  teamField: 'hush/v1/team-field',
  keyBox: 'hush/v1/keybox',
  indexKey: 'hush/v1/index-key',
  index: 'hush/v1/index',
  object: 'hush/v1/object',
  objectAad: 'hush/v1/object-aad',
  objectSig: 'hush/v1/object-sig',
  direct: 'hush/v1/direct',
  directWrap: 'hush/v1/direct-wrap',
  contentCommit: 'hush/v1/content-commit',
  stream: 'hush/v1/stream',
  auth: 'hush/v1/auth',
  invitePreview: 'hush/v1/invite-preview',
} as const;

/** A Writer that starts with str(label). */
export function labelled(label: string): Writer {
  return new Writer().str(label);
}

/** SHA-256(str(label) || data). */
export function taggedHash(b: CryptoBackend, label: string, data: Uint8Array): Promise<Uint8Array> {
  return b.sha256(labelled(label).fixed(data, data.length).finish());
}
