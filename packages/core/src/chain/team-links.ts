/**
 * Team chain link bodies (PROTOCOL.md section 4.2). Type codes: 1 create, 2 invite,
 * 3 accept-invite, 4 add-member, 5 remove-member, 6 set-role, 7 rotate-key, 8 rename.
 */
import type { Reader, Writer } from '../encoding/canonical.js';
import { ArgumentError, EncodingError } from '../errors.js';
import { compareBytes } from '../bytes.js';
import { CHAIN_TEAM, type BodyCodec } from './link.js';
import { ROLES, type Role } from './roles.js';

/** A principal chain position a link author verified: (seq, head hash). */
export interface Pin {
  readonly seq: number;
  readonly head: Uint8Array;
}

export type TeamLinkBody =
  | {
      type: 'create';
      nameCt: Uint8Array;
      /** The creator's display name, sealed like a member name; empty when none. */
      ownerNameCt: Uint8Array;
      keyCommit: Uint8Array;
      recipients: Uint8Array[];
    }
  | {
      type: 'invite';
      inviteSigPk: Uint8Array;
      inviteKemPk: Uint8Array;
      role: Role;
      expires: number;
    }
  | { type: 'accept-invite'; inviteId: Uint8Array; pin: Pin; nameCt: Uint8Array }
  | { type: 'add-member'; member: Uint8Array; role: Role; pin: Pin; nameCt: Uint8Array }
  | { type: 'remove-member'; member: Uint8Array }
  | { type: 'set-role'; member: Uint8Array; role: Role }
  | {
      type: 'rotate-key';
      generation: number;
      keyCommit: Uint8Array;
      prevKeyCt: Uint8Array;
      recipients: Uint8Array[];
    }
  | { type: 'rename'; nameCt: Uint8Array };

const CODES = {
  create: 1,
  invite: 2,
  'accept-invite': 3,
  'add-member': 4,
  'remove-member': 5,
  'set-role': 6,
  'rotate-key': 7,
  rename: 8,
} as const;

const MAX_FIELD = 1024;

function writeIds(w: Writer, ids: readonly Uint8Array[]): void {
  w.u32(ids.length);
  for (const id of ids) w.fixed(id, 32);
}

/** Recipient lists are sorted ascending without duplicates, so each set has one encoding. */
function readIds(r: Reader): Uint8Array[] {
  const n = r.u32();
  if (n > 100_000) throw new EncodingError('recipient list too long');
  const ids: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.fixed(32);
    if (i > 0 && compareBytes(ids[i - 1] as Uint8Array, id) >= 0)
      throw new EncodingError('recipients not sorted');
    ids.push(id);
  }
  return ids;
}

/** A byte string that must have exactly `len` bytes (an AEAD-sealed 32-byte key is 48). */
function readExact(r: Reader, len: number): Uint8Array {
  const b = r.bytes(len);
  if (b.length !== len) throw new EncodingError(`field must be exactly ${len} bytes`);
  return b;
}

const readRole = (r: Reader): Role => r.enumU8('role', ROLES);
const readPin = (r: Reader): Pin => ({ seq: r.u64(), head: r.fixed(32) });

export const teamCodec: BodyCodec<TeamLinkBody> = {
  kind: CHAIN_TEAM,
  write(w: Writer, body: TeamLinkBody): void {
    // Bounded on write too, so a writer never makes a link its own readers reject.
    const tooLong = (x: Uint8Array) => x.length > MAX_FIELD;
    if (
      ('nameCt' in body && tooLong(body.nameCt)) ||
      (body.type === 'create' && tooLong(body.ownerNameCt))
    ) {
      throw new ArgumentError(`encrypted name longer than ${MAX_FIELD} bytes`);
    }
    w.u8(CODES[body.type]);
    switch (body.type) {
      case 'create':
        w.bytes(body.nameCt).bytes(body.ownerNameCt).fixed(body.keyCommit, 32);
        writeIds(w, body.recipients);
        return;
      case 'invite':
        w.fixed(body.inviteSigPk, 32).fixed(body.inviteKemPk, 32).u8(body.role).u64(body.expires);
        return;
      case 'accept-invite':
        w.fixed(body.inviteId, 32).u64(body.pin.seq).fixed(body.pin.head, 32).bytes(body.nameCt);
        return;
      case 'add-member':
        w.fixed(body.member, 32)
          .u8(body.role)
          .u64(body.pin.seq)
          .fixed(body.pin.head, 32)
          .bytes(body.nameCt);
        return;
      case 'remove-member':
        w.fixed(body.member, 32);
        return;
      case 'set-role':
        w.fixed(body.member, 32).u8(body.role);
        return;
      case 'rotate-key':
        w.u32(body.generation).fixed(body.keyCommit, 32).bytes(body.prevKeyCt);
        writeIds(w, body.recipients);
        return;
      case 'rename':
        w.bytes(body.nameCt);
        return;
    }
  },
  read(r: Reader): TeamLinkBody {
    switch (r.enumU8('team link type', Object.values(CODES))) {
      case 1:
        return {
          type: 'create',
          nameCt: r.bytes(MAX_FIELD),
          ownerNameCt: r.bytes(MAX_FIELD),
          keyCommit: r.fixed(32),
          recipients: readIds(r),
        };
      case 2:
        return {
          type: 'invite',
          inviteSigPk: r.fixed(32),
          inviteKemPk: r.fixed(32),
          role: readRole(r),
          expires: r.u64(),
        };
      case 3:
        return {
          type: 'accept-invite',
          inviteId: r.fixed(32),
          pin: readPin(r),
          nameCt: r.bytes(MAX_FIELD),
        };
      case 4:
        return {
          type: 'add-member',
          member: r.fixed(32),
          role: readRole(r),
          pin: readPin(r),
          nameCt: r.bytes(MAX_FIELD),
        };
      case 5:
        return { type: 'remove-member', member: r.fixed(32) };
      case 6:
        return { type: 'set-role', member: r.fixed(32), role: readRole(r) };
      case 7:
        return {
          type: 'rotate-key',
          generation: r.u32(),
          keyCommit: r.fixed(32),
          prevKeyCt: readExact(r, 48),
          recipients: readIds(r),
        };
      default:
        return { type: 'rename', nameCt: r.bytes(MAX_FIELD) };
    }
  },
  signatures(body: TeamLinkBody): number {
    return body.type === 'accept-invite' ? 2 : 1;
  },
};
