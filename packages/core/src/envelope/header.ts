/**
 * The envelope header (PROTOCOL.md section 7.1): every field that is signed and used as
 * associated data, in one canonical layout shared by team and direct envelopes.
 */
import { compareBytes } from '../bytes.js';
import { Reader, Writer } from '../encoding/canonical.js';
import { EnvelopeError } from './errors.js';

/** Protocol version and suite carried in every header; anything else is refused (no downgrade). */
export const PROTOCOL_VERSION = 1;
export const SUITE_V1 = 1;

/** What an object is. The server sees this number; everything about the content is encrypted. */
export const COLLECTION = { message: 1, snippet: 2, kv: 3, secret: 4, file: 5 } as const;
export type Collection = (typeof COLLECTION)[keyof typeof COLLECTION];
const COLLECTIONS = Object.values(COLLECTION);

/** Header flag: this version is a tombstone (the object is deleted; body is empty). */
export const FLAG_TOMBSTONE = 1;

/** One wrapped direct-message key: HPKE to one device. */
export interface DirectWrap {
  readonly deviceId: Uint8Array;
  readonly enc: Uint8Array;
  readonly ct: Uint8Array;
}

/** Fields of an envelope header. Exactly one of `team` / `direct` is present. */
export interface EnvelopeHeader {
  readonly version: number;
  readonly suite: number;
  readonly objectId: Uint8Array;
  readonly objectVersion: number;
  readonly collection: Collection;
  readonly flags: number;
  readonly author: Uint8Array;
  readonly authorDevice: Uint8Array;
  readonly createdAt: number;
  readonly blindIndex: Uint8Array | undefined;
  readonly team?: {
    readonly teamId: Uint8Array;
    readonly generation: number;
    readonly chainSeq: number;
  };
  readonly direct?: {
    readonly recipients: readonly Uint8Array[];
    readonly wraps: readonly DirectWrap[];
  };
  readonly keySalt: Uint8Array;
  readonly keyCommit: Uint8Array;
}

const KIND_TEAM = 1;
const KIND_DIRECT = 2;

/** Canonical header bytes. Recipients and wraps must be sorted ascending without duplicates. */
export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  const w = new Writer()
    .u8(h.version)
    .u16(h.suite)
    .u8(h.team ? KIND_TEAM : KIND_DIRECT)
    .fixed(h.objectId, 16)
    .u64(h.objectVersion)
    .u8(h.collection)
    .u8(h.flags)
    .fixed(h.author, 32)
    .fixed(h.authorDevice, 32)
    .u64(h.createdAt)
    .opt(h.blindIndex, (x, v) => x.fixed(v, 32));
  if (h.team && !h.direct) {
    w.fixed(h.team.teamId, 32).u32(h.team.generation).u64(h.team.chainSeq);
  } else if (h.direct && !h.team) {
    checkSorted(h.direct.recipients);
    checkSorted(h.direct.wraps.map((x) => x.deviceId));
    w.u16(h.direct.recipients.length);
    for (const r of h.direct.recipients) w.fixed(r, 32);
    w.u16(h.direct.wraps.length);
    for (const x of h.direct.wraps) w.fixed(x.deviceId, 32).fixed(x.enc, 32).bytes(x.ct);
  } else {
    throw new EnvelopeError('encoding', 'header needs exactly one of team or direct');
  }
  return w.fixed(h.keySalt, 16).fixed(h.keyCommit, 32).finish();
}

function checkSorted(ids: readonly Uint8Array[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (compareBytes(ids[i - 1] as Uint8Array, ids[i] as Uint8Array) >= 0) {
      throw new EnvelopeError('encoding', 'ids must be sorted ascending without duplicates');
    }
  }
}

/** Parses header bytes; the result re-encodes to exactly the same bytes. */
export function decodeHeader(bytes: Uint8Array): EnvelopeHeader {
  try {
    const r = new Reader(bytes);
    const version = r.u8();
    const suite = r.u16();
    if (version !== PROTOCOL_VERSION || suite !== SUITE_V1) {
      throw new EnvelopeError(
        'version',
        `unsupported protocol version ${version} or suite ${suite}`,
      );
    }
    const kind = r.enumU8('envelope kind', [KIND_TEAM, KIND_DIRECT]);
    const objectId = r.fixed(16);
    const objectVersion = r.u64();
    const collection = r.enumU8('collection', COLLECTIONS);
    const flags = r.u8();
    if ((flags & ~FLAG_TOMBSTONE) !== 0)
      throw new EnvelopeError('encoding', 'unknown header flags');
    const author = r.fixed(32);
    const authorDevice = r.fixed(32);
    const createdAt = r.u64();
    const blindIndex = r.opt((x) => x.fixed(32));
    let team: EnvelopeHeader['team'];
    let direct: EnvelopeHeader['direct'];
    if (kind === KIND_TEAM) {
      team = { teamId: r.fixed(32), generation: r.u32(), chainSeq: r.u64() };
    } else {
      const recipients: Uint8Array[] = [];
      for (let n = r.u16(); n > 0; n--) recipients.push(r.fixed(32));
      const wraps: DirectWrap[] = [];
      for (let n = r.u16(); n > 0; n--)
        wraps.push({ deviceId: r.fixed(32), enc: r.fixed(32), ct: r.bytes(48) });
      if (wraps.some((x) => x.ct.length !== 48))
        throw new EnvelopeError('encoding', 'wrapped key has the wrong length');
      direct = { recipients, wraps };
    }
    const h: EnvelopeHeader = {
      version,
      suite,
      objectId,
      objectVersion,
      collection,
      flags,
      author,
      authorDevice,
      createdAt,
      blindIndex,
      ...(team ? { team } : {}),
      ...(direct ? { direct } : {}),
      keySalt: r.fixed(16),
      keyCommit: r.fixed(32),
    };
    r.end();
    if (objectVersion < 1) throw new EnvelopeError('encoding', 'object version starts at 1');
    if (direct) {
      checkSorted(direct.recipients);
      checkSorted(direct.wraps.map((x) => x.deviceId));
    }
    return h;
  } catch (e) {
    if (e instanceof EnvelopeError) throw e;
    throw new EnvelopeError('encoding', 'envelope header is not canonically encoded', { cause: e });
  }
}

/** Envelope = bytes(header) || bytes(ciphertext) || signature(64). */
export function encodeEnvelope(
  header: Uint8Array,
  ciphertext: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  return new Writer().bytes(header).bytes(ciphertext).fixed(signature, 64).finish();
}

/** Splits an envelope into its three parts, rejecting anything non-canonical. */
export function splitEnvelope(bytes: Uint8Array): {
  header: Uint8Array;
  ciphertext: Uint8Array;
  signature: Uint8Array;
} {
  try {
    const r = new Reader(bytes);
    const parts = { header: r.bytes(), ciphertext: r.bytes(), signature: r.fixed(64) };
    r.end();
    return parts;
  } catch (e) {
    throw new EnvelopeError('encoding', 'envelope is not canonically encoded', { cause: e });
  }
}
