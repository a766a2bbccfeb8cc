/**
 * Team envelopes: objects (messages, snippets, kv entries, secrets, file manifests)
 * encrypted under a team key generation and signed by the author's device.
 *
 * contentKey = HKDF(TK_g, salt = teamId, info = str("hush/v1/object") || u8 collection ||
 *              objectId(16) || u64 objectVersion || keySalt(16))
 */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes, expectBytes } from '../bytes.js';
import type { ContentKey, DeviceSecretKeys, TeamKey } from '../keys.js';
import { LABEL } from '../labels.js';
import {
  checkAuthor,
  contentCommitment,
  deriveContentKey,
  openContent,
  sealContent,
} from './content.js';
import { EnvelopeError } from './errors.js';
import {
  decodeHeader,
  PROTOCOL_VERSION,
  SUITE_V1,
  splitEnvelope,
  type Collection,
  type EnvelopeHeader,
} from './header.js';

function teamContentKey(
  b: CryptoBackend,
  key: TeamKey,
  teamId: Uint8Array,
  h: Pick<EnvelopeHeader, 'collection' | 'objectId' | 'objectVersion' | 'keySalt'>,
): Promise<ContentKey> {
  return deriveContentKey(b, key, teamId, LABEL.object, h);
}

/** What a writer supplies to seal a team object. */
export interface TeamSealInput {
  readonly teamId: Uint8Array;
  readonly generation: number;
  /** Sequence number of the team chain head the author verified. */
  readonly chainSeq: number;
  readonly key: TeamKey;
  readonly author: Uint8Array;
  readonly device: DeviceSecretKeys;
  readonly collection: Collection;
  readonly body: Uint8Array;
  /** 16 bytes; random when omitted. */
  readonly objectId?: Uint8Array;
  readonly objectVersion?: number;
  readonly flags?: number;
  readonly blindIndex?: Uint8Array;
  readonly createdAt?: number;
}

/**
 * Seals a team object.
 * @example
 * const { envelope } = await sealTeamEnvelope(backend, {
 *   teamId, generation: 3, chainSeq: 12, key: tk3, author: me.principalId, device: me.device,
 *   collection: COLLECTION.message, body: utf8('hello'),
 * });
 */
export async function sealTeamEnvelope(
  b: CryptoBackend,
  input: TeamSealInput,
): Promise<{ envelope: Uint8Array; header: EnvelopeHeader }> {
  const base = {
    version: PROTOCOL_VERSION,
    suite: SUITE_V1,
    objectId: input.objectId ? expectBytes('objectId', input.objectId, 16) : b.randomBytes(16),
    objectVersion: input.objectVersion ?? 1,
    collection: input.collection,
    flags: input.flags ?? 0,
    author: input.author,
    authorDevice: input.device.id,
    createdAt: input.createdAt ?? Date.now(),
    blindIndex: input.blindIndex,
    team: { teamId: input.teamId, generation: input.generation, chainSeq: input.chainSeq },
    keySalt: b.randomBytes(16),
  };
  const key = await teamContentKey(b, input.key, input.teamId, base);
  const header: EnvelopeHeader = { ...base, keyCommit: await contentCommitment(b, key) };
  return { envelope: await sealContent(b, header, key, input.body, input.device.sigSeed), header };
}

/** What the reader must have decided before any byte is decrypted. */
export interface TeamOpenContext {
  readonly teamId: Uint8Array;
  /** Fields the server claimed for this object (its row), which the header must match. */
  readonly expect?: {
    readonly objectId?: Uint8Array;
    readonly objectVersion?: number;
    readonly collection?: Collection;
    readonly blindIndex?: Uint8Array | null;
  };
  /**
   * Returns the author device's Ed25519 public key if the author held write rights for this
   * collection at header.team.chainSeq in generation header.team.generation, per the verified
   * team chain; throws otherwise. See `TeamState.authorizeObject`.
   */
  authorize(header: EnvelopeHeader): Promise<Uint8Array> | Uint8Array;
  /** Returns the team key of a generation (verified against its commitment). */
  keyFor(generation: number): Promise<TeamKey> | TeamKey;
}

/** Checks the header against what the reader expected (server-claimed metadata). */
export function checkExpected(h: EnvelopeHeader, expect: TeamOpenContext['expect']): void {
  if (!expect) return;
  const bad =
    (expect.objectId && !equalBytes(expect.objectId, h.objectId)) ||
    (expect.objectVersion !== undefined && expect.objectVersion !== h.objectVersion) ||
    (expect.collection !== undefined && expect.collection !== h.collection) ||
    (expect.blindIndex === null && h.blindIndex !== undefined) ||
    (expect.blindIndex && (!h.blindIndex || !equalBytes(expect.blindIndex, h.blindIndex)));
  if (bad)
    throw new EnvelopeError(
      'context',
      'envelope header does not match the object it was served as',
    );
}

/**
 * Opens a team object: canonical parse, version and suite, context, author rights,
 * signature, key commitment, decryption. Nothing is returned unless every check passed.
 */
export async function openTeamEnvelope(
  b: CryptoBackend,
  envelope: Uint8Array,
  ctx: TeamOpenContext,
): Promise<{ header: EnvelopeHeader; body: Uint8Array }> {
  const parts = splitEnvelope(envelope);
  const header = decodeHeader(parts.header);
  if (!header.team || !equalBytes(header.team.teamId, ctx.teamId)) {
    throw new EnvelopeError(
      'context',
      'envelope belongs to another team or is not a team envelope',
    );
  }
  checkExpected(header, ctx.expect);
  await checkAuthor(
    b,
    parts,
    header,
    ctx.authorize,
    'envelope author had no write right for it in the verified team chain',
  );
  let teamKey: TeamKey;
  try {
    teamKey = await ctx.keyFor(header.team.generation);
  } catch (e) {
    throw new EnvelopeError('no-key', `no key for team key generation ${header.team.generation}`, {
      cause: e,
    });
  }
  const key = await teamContentKey(b, teamKey, ctx.teamId, header);
  return { header, body: await openContent(b, header, parts.header, parts.ciphertext, key) };
}
