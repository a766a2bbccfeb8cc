/**
 * `@hush/core`: the hush protocol, version 1 (docs/PROTOCOL.md). No I/O; runs in Node and
 * in browsers. Everything exported here is public API; named exports only. Node-only pieces
 * (the node:crypto backend, Node stream adapters) live in `@hush/core/node`.
 *
 * @example
 * import { webCryptoBackend, generateDevice, principalGenesis } from '@hush/core';
 * const backend = webCryptoBackend();
 * const device = await generateDevice(backend);
 * const genesis = await principalGenesis(backend, device); // genesis.hash is the principal id
 */

// Backend, bytes and encodings
export type { CryptoBackend } from './backend/types.js';
export { webCryptoBackend } from './backend/web.js';
export { compareBytes, concat, equalBytes, fromHex, fromUtf8, toHex, utf8 } from './bytes.js';
export { fromBase64url, toBase64url } from './encoding/base64url.js';
export { MAX_U64_SAFE, Reader, Writer } from './encoding/canonical.js';
export {
  ArgumentError,
  EncodingError,
  HpkeError,
  HushError,
  OpenError,
  SignatureError,
} from './errors.js';
export { hkdf, hkdfExpand, hkdfExtract } from './kdf.js';
export { LABEL } from './labels.js';
export { authChallengeMessage, invitePreviewMessage } from './auth.js';

// HPKE (RFC 9180)
export {
  deriveX25519KeyPair,
  generateX25519KeyPair,
  hpkeOpen,
  hpkeSeal,
  HPKE_AEAD_ID,
  HPKE_KDF_ID,
  HPKE_KEM_ID,
  type X25519KeyPair,
} from './hpke/index.js';

// Keys and identities
export {
  asTeamKey,
  deriveRecoveryDevice,
  deviceId,
  generateDevice,
  inviteId,
  type Branded,
  type ContentKey,
  type DevicePublicKeys,
  type DeviceSecretKeys,
  type DirectKey,
  type IndexKey,
  type TeamKey,
} from './keys.js';
export {
  checkKeyCommitment,
  generateTeamKey,
  keyCommitment,
  openPreviousKey,
  openTeamField,
  sealPreviousKey,
  sealTeamField,
  TeamKeyError,
  teamFieldGeneration,
  type TeamFieldPurpose,
} from './team-key.js';
export {
  decodeKeyBox,
  encodeKeyBox,
  KeyBoxError,
  openKeyBox,
  sealKeyBox,
  type KeyBox,
  type KeyBoxFailure,
} from './keybox.js';
export { blindIndex, indexKey, type IndexPurpose } from './blind-index.js';
export { MIN_PADDED, pad, paddedSize, padme, unpad } from './padding.js';
export {
  formatInviteToken,
  inviteKeys,
  newInviteToken,
  parseInviteToken,
  type InviteKind,
  type InviteToken,
} from './invite.js';

// Chains
export { ChainError, type ChainFailure } from './chain/errors.js';
export {
  CHAIN_PRINCIPAL,
  CHAIN_TEAM,
  linkHash,
  parseLink,
  type LinkCommon,
  type ParsedLink,
} from './chain/link.js';
export {
  PRINCIPAL_KIND,
  principalCodec,
  type PrincipalKind,
  type PrincipalLinkBody,
} from './chain/principal-links.js';
export { PrincipalState, type DeviceRecord } from './chain/principal.js';
export { teamCodec, type Pin, type TeamLinkBody } from './chain/team-links.js';
export { TeamState, type Generation, type Member, type PrincipalResolver } from './chain/team.js';
export {
  canGrant,
  canRemove,
  canRename,
  canRotate,
  canSetRole,
  canWrite,
  ROLE,
  roleName,
  ROLES,
  type Role,
  type RoleName,
} from './chain/roles.js';
export { checkAgainstPin, pinOf } from './chain/pin.js';
export { walkBack } from './chain/walk-back.js';
export {
  createTeam,
  principalGenesis,
  principalLink,
  rotation,
  teamLink,
  type BoxRecipient,
  type LinkOptions,
} from './chain/build.js';

// Envelopes
export { EnvelopeError, type EnvelopeFailure } from './envelope/errors.js';
export { envelopeSignatureMessage } from './envelope/content.js';
export {
  COLLECTION,
  decodeHeader,
  encodeHeader,
  FLAG_TOMBSTONE,
  PROTOCOL_VERSION,
  splitEnvelope,
  SUITE_V1,
  type Collection,
  type DirectWrap,
  type EnvelopeHeader,
} from './envelope/header.js';
export {
  openTeamEnvelope,
  sealTeamEnvelope,
  type TeamOpenContext,
  type TeamSealInput,
} from './envelope/team.js';
export {
  openDirectEnvelope,
  sealDirectEnvelope,
  type DirectOpenContext,
  type DirectSealInput,
  type RecipientDevice,
} from './envelope/direct.js';

// STREAM
export { StreamError, type StreamErrorReason } from './stream/errors.js';
export {
  plaintextSize,
  sealedSize,
  STREAM_CHUNK_SIZE,
  STREAM_SEALED_CHUNK_SIZE,
  STREAM_TAG_SIZE,
} from './stream/format.js';
export { deriveStreamKey, type StreamKey } from './stream/key.js';
export { StreamOpener, StreamSealer, type StreamStart } from './stream/chunk.js';
export { StreamDecryptor, StreamEncryptor, type StreamEmit } from './stream/codec.js';
export { openAll, sealAll } from './stream/all.js';
export { decryptStream, encryptStream } from './stream/web.js';

// Object bodies
export { decodeMessageBody, encodeMessageBody, type MessageBody } from './bodies/message.js';
export { decodeSnippetBody, encodeSnippetBody, type SnippetBody } from './bodies/snippet.js';
export {
  checkEntryIndex,
  decodeEntryBody,
  encodeEntryBody,
  type EntryBody,
} from './bodies/entry.js';
export {
  checkManifestHeader,
  decodeFileManifest,
  encodeFileManifest,
  type FileManifest,
} from './bodies/manifest.js';
export { checkSnippetPath, stripGitCredentials } from './bodies/path.js';
