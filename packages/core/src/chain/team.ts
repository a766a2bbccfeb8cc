/**
 * Team chain verification and state (PROTOCOL.md section 4). The team id is the hash of
 * the create link. Each link must be signed by a device that, at that point of the chain,
 * belongs to a member whose role allows the link. A removal of another member must be
 * followed by a key rotation in the same append, and rotations may only box the new key to
 * current members' devices and open invites (no ghost recipients).
 */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes, toHex } from '../bytes.js';
import type { Collection, EnvelopeHeader } from '../envelope/header.js';
import { inviteId } from '../keys.js';
import { ChainError } from './errors.js';
import { ChainHead } from './head.js';
import { checkLinkSignature, parseLink, ZERO32, type ParsedLink } from './link.js';
import type { PrincipalState } from './principal.js';
import {
  canGrant,
  canRemove,
  canRename,
  canRotate,
  canSetRole,
  canWrite,
  ROLE,
  type Role,
} from './roles.js';
import { teamCodec, type Pin, type TeamLinkBody } from './team-links.js';

/** Looks up verified principal chains by id (the caller fetched and verified them). */
export type PrincipalResolver = (id: Uint8Array) => PrincipalState | undefined;

/** A current member. */
export interface Member {
  readonly principal: Uint8Array;
  role: Role;
  readonly pin: Pin;
  nameCt: Uint8Array;
  readonly joinedSeq: number;
}

/** A team key generation as the chain records it. */
export interface Generation {
  readonly generation: number;
  readonly startSeq: number;
  readonly keyCommit: Uint8Array;
  readonly prevKeyCt: Uint8Array | undefined;
  readonly recipients: readonly Uint8Array[];
}

interface Invite {
  readonly sigPk: Uint8Array;
  readonly kemPk: Uint8Array;
  readonly id: Uint8Array;
  readonly role: Role;
  readonly expires: number;
  used: boolean;
}

type TeamLink = ParsedLink<TeamLinkBody>;

/** The verified state of a team chain. Apply links in order; a failed apply changes nothing. */
export class TeamState extends ChainHead {
  readonly id: Uint8Array;
  readonly members = new Map<string, Member>();
  readonly generations: Generation[] = [];
  nameCt: Uint8Array;
  /** Set by a member leaving: nobody writes until someone rotates. */
  rotationPending = false;
  readonly #invites = new Map<string, Invite>();
  /** Per principal: (seq, role or null when removed), in chain order, for rights at a past point. */
  readonly #roleLog = new Map<string, { seq: number; role: Role | null }[]>();
  #mustRotate = false;

  private constructor(create: TeamLink, body: TeamLinkBody & { type: 'create' }) {
    super();
    this.id = create.hash;
    this.nameCt = body.nameCt;
    this.advance(create);
    this.#setRole(create.author, ROLE.owner, 0, { seq: 0, head: ZERO32 }, body.ownerNameCt);
    this.generations.push({
      generation: 1,
      startSeq: 0,
      keyCommit: body.keyCommit,
      prevKeyCt: undefined,
      recipients: body.recipients,
    });
  }

  /** The newest generation. */
  get current(): Generation {
    return this.generations[this.generations.length - 1] as Generation;
  }

  /** A member's current role, or undefined. */
  roleOf(principal: Uint8Array): Role | undefined {
    return this.members.get(toHex(principal))?.role;
  }

  /** A principal's role right after link `seq`, or undefined when not a member then. */
  roleAt(principal: Uint8Array, seq: number): Role | undefined {
    let role: Role | null = null;
    for (const e of this.#roleLog.get(toHex(principal)) ?? []) if (e.seq <= seq) role = e.role;
    return role ?? undefined;
  }

  /** The generation current right after link `seq`. */
  generationAt(seq: number): Generation | undefined {
    let g: Generation | undefined;
    for (const x of this.generations) if (x.startSeq <= seq) g = x;
    return g;
  }

  /** Open invites (not used, not expired at `now`), with the recipient id their key box uses. */
  openInvites(now: number): { id: Uint8Array; kemPk: Uint8Array; role: Role; expires: number }[] {
    return [...this.#invites.values()].filter((i) => !i.used && i.expires >= now);
  }

  /** An invite of this team by its invite id, open or not. */
  invite(
    id: Uint8Array,
  ):
    | Readonly<{ sigPk: Uint8Array; kemPk: Uint8Array; role: Role; expires: number; used: boolean }>
    | undefined {
    return this.#invites.get(toHex(id));
  }

  /**
   * The Ed25519 key that must have signed an object, if its author could write it:
   * a member at header.team.chainSeq whose role allows the collection, in the generation
   * current at that point, with a device not revoked at the object's time.
   */
  authorizeObject(header: EnvelopeHeader, resolve: PrincipalResolver): Uint8Array {
    const t = header.team;
    if (!t || !equalBytes(t.teamId, this.id))
      throw new ChainError('wrong-chain', 'object is not of this team');
    if (t.chainSeq > this.seq)
      throw new ChainError(
        'rollback',
        'object refers to a chain position this client has not verified',
      );
    if (this.generationAt(t.chainSeq)?.generation !== t.generation) {
      throw new ChainError(
        'bad-generation',
        'object generation was not current at its chain position',
      );
    }
    const role = this.roleAt(header.author, t.chainSeq);
    if (role === undefined || !canWrite(role, header.collection as Collection)) {
      throw new ChainError('not-authorized', 'author had no write right for this collection');
    }
    const device = resolve(header.author)?.deviceAt(header.authorDevice, header.createdAt);
    if (!device)
      throw new ChainError('unknown-signer', 'author device is not an active device of the author');
    return device.sigPk;
  }

  /** Verifies a create link; `resolve` must know the creator. */
  static async fromCreate(
    b: CryptoBackend,
    bytes: Uint8Array,
    resolve: PrincipalResolver,
    expectedId?: Uint8Array,
  ): Promise<TeamState> {
    const link = await parseLink(b, teamCodec, bytes);
    const body = link.body;
    if (
      body.type !== 'create' ||
      link.seq !== 0 ||
      !equalBytes(link.chainId, ZERO32) ||
      !equalBytes(link.prev, ZERO32)
    ) {
      throw new ChainError('bad-genesis', 'first link is not a well-formed create', 0);
    }
    if (expectedId && !equalBytes(link.hash, expectedId))
      throw new ChainError('wrong-chain', 'create link does not hash to the expected team id', 0);
    const creator = resolve(link.author);
    if (!creator) throw new ChainError('unknown-principal', 'creator principal is unknown', 0);
    const signer = creator.deviceAt(link.signerDevice, link.time);
    if (!signer)
      throw new ChainError('unknown-signer', 'signer is not an active device of the creator', 0);
    await checkLinkSignature(b, link, 0, signer.sigPk);
    for (const r of body.recipients) {
      if (!creator.deviceAt(r, link.time))
        throw new ChainError(
          'ghost-recipient',
          "generation 1 is boxed to a device that is not the creator's",
          0,
        );
    }
    return new TeamState(link, body);
  }

  /** Verifies a whole chain. */
  static async verify(
    b: CryptoBackend,
    links: readonly Uint8Array[],
    resolve: PrincipalResolver,
    expectedId?: Uint8Array,
  ): Promise<TeamState> {
    const [first, ...rest] = links;
    if (!first) throw new ChainError('bad-genesis', 'chain is empty');
    const state = await TeamState.fromCreate(b, first, resolve, expectedId);
    for (const l of rest) await state.apply(b, l, resolve);
    state.assertComplete();
    return state;
  }

  /** Throws when the chain ends in the middle of an append (a removal without its rotation). */
  assertComplete(): void {
    if (this.#mustRotate)
      throw new ChainError(
        'removal-without-rotation',
        'a removal is not followed by a key rotation',
        this.seq,
      );
  }

  /** Verifies the next link and applies it. On any error the state is unchanged. */
  async apply(b: CryptoBackend, bytes: Uint8Array, resolve: PrincipalResolver): Promise<TeamLink> {
    const link = await parseLink(b, teamCodec, bytes);
    const seq = this.checkPosition(link, 'team');
    const body = link.body;
    if (this.#mustRotate && body.type !== 'rotate-key') {
      throw new ChainError(
        'removal-without-rotation',
        'a removal must be followed by a key rotation',
        seq,
      );
    }
    const author = resolve(link.author);
    if (!author) throw new ChainError('unknown-principal', 'link author principal is unknown', seq);
    const signer = author.deviceAt(link.signerDevice, link.time);
    if (!signer)
      throw new ChainError(
        'unknown-signer',
        'signer is not an active device of the link author',
        seq,
      );
    await checkLinkSignature(b, link, 0, signer.sigPk);

    const role = this.roleOf(link.author);
    const deny = (why: string): never => {
      throw new ChainError('not-authorized', why, seq);
    };
    const target = 'member' in body ? this.members.get(toHex(body.member)) : undefined;
    let commit: () => void;

    switch (body.type) {
      case 'create':
        throw new ChainError('bad-genesis', 'create after the first link', seq);
      case 'invite': {
        if (role === undefined || !canGrant(role, body.role))
          deny('author may not invite with this role');
        if (body.expires <= link.time)
          throw new ChainError('invalid', 'invite expires before it is made', seq);
        const id = await inviteId(b, body.inviteSigPk);
        if (this.#invites.has(toHex(id))) throw new ChainError('invalid', 'invite key reused', seq);
        commit = () =>
          this.#invites.set(toHex(id), {
            sigPk: body.inviteSigPk,
            kemPk: body.inviteKemPk,
            id,
            role: body.role,
            expires: body.expires,
            used: false,
          });
        break;
      }
      case 'accept-invite': {
        const invite = [...this.#invites.values()].find((i) => equalBytes(i.id, body.inviteId));
        if (!invite)
          throw new ChainError('unknown-invite', 'acceptance names no invite of this team', seq);
        if (invite.used) throw new ChainError('invite-used', 'invite was already used', seq);
        if (link.time > invite.expires)
          throw new ChainError('invite-expired', 'invite had expired', seq);
        if (role !== undefined)
          throw new ChainError('invalid', 'principal is already a member', seq);
        await checkLinkSignature(b, link, 1, invite.sigPk, 'invitesig');
        checkPin(author, body.pin, seq);
        commit = () => {
          invite.used = true;
          this.#setRole(link.author, invite.role, seq, body.pin, body.nameCt);
        };
        break;
      }
      case 'add-member': {
        if (role === undefined || !canGrant(role, body.role))
          deny('author may not add a member with this role');
        if (target) throw new ChainError('invalid', 'principal is already a member', seq);
        const member = resolve(body.member);
        if (!member) throw new ChainError('unknown-principal', 'added principal is unknown', seq);
        checkPin(member, body.pin, seq);
        commit = () => this.#setRole(body.member, body.role, seq, body.pin, body.nameCt);
        break;
      }
      case 'remove-member': {
        if (!target) throw new ChainError('invalid', 'removed principal is not a member', seq);
        const self = equalBytes(body.member, link.author);
        if (!self && (role === undefined || !canRemove(role, target.role)))
          deny('author may not remove this member');
        if (target.role === ROLE.owner && this.#owners() <= 1)
          throw new ChainError('invalid', 'the last owner cannot be removed', seq);
        commit = () => {
          this.#setRole(body.member, null, seq);
          if (self) this.rotationPending = true;
          else this.#mustRotate = true;
        };
        break;
      }
      case 'set-role': {
        if (!target) throw new ChainError('invalid', 'principal is not a member', seq);
        if (role === undefined || !canSetRole(role, target.role, body.role))
          deny('author may not set this role');
        if (target.role === body.role) throw new ChainError('invalid', 'role is unchanged', seq);
        if (target.role === ROLE.owner && this.#owners() <= 1)
          throw new ChainError('invalid', 'the last owner cannot be demoted', seq);
        commit = () => this.#setRole(body.member, body.role, seq);
        break;
      }
      case 'rotate-key': {
        if (role === undefined || !canRotate(role)) deny('author may not rotate the team key');
        if (body.generation !== this.current.generation + 1)
          throw new ChainError(
            'bad-generation',
            `expected generation ${this.current.generation + 1}`,
            seq,
          );
        this.#checkRecipients(body.recipients, link.time, resolve, seq);
        commit = () => {
          this.generations.push({
            generation: body.generation,
            startSeq: seq,
            keyCommit: body.keyCommit,
            prevKeyCt: body.prevKeyCt,
            recipients: body.recipients,
          });
          this.#mustRotate = false;
          this.rotationPending = false;
        };
        break;
      }
      case 'rename':
        if (role === undefined || !canRename(role)) deny('author may not rename the team');
        commit = () => {
          this.nameCt = body.nameCt;
        };
        break;
    }
    commit();
    this.advance(link);
    return link;
  }

  #owners(): number {
    return [...this.members.values()].filter((m) => m.role === ROLE.owner).length;
  }

  #setRole(
    principal: Uint8Array,
    role: Role | null,
    seq: number,
    pin?: Pin,
    nameCt?: Uint8Array,
  ): void {
    const key = toHex(principal);
    const log = this.#roleLog.get(key) ?? [];
    log.push({ seq, role });
    this.#roleLog.set(key, log);
    const m = this.members.get(key);
    if (role === null) this.members.delete(key);
    else if (m) m.role = role;
    else
      this.members.set(key, {
        principal,
        role,
        pin: pin ?? { seq: 0, head: ZERO32 },
        nameCt: nameCt ?? new Uint8Array(0),
        joinedSeq: seq,
      });
  }

  /** Every recipient of a new generation must be a current member's device or an open invite. */
  #checkRecipients(
    recipients: readonly Uint8Array[],
    time: number,
    resolve: PrincipalResolver,
    seq: number,
  ): void {
    const invites = this.openInvites(time);
    for (const r of recipients) {
      const isInvite = invites.some((i) => equalBytes(i.id, r));
      const isDevice = [...this.members.values()].some((m) =>
        resolve(m.principal)?.deviceAt(r, time),
      );
      if (!isInvite && !isDevice)
        throw new ChainError(
          'ghost-recipient',
          'new key is boxed to a device or invite that is not in the team',
          seq,
        );
    }
  }
}

/** The member's principal chain as verified must contain the pinned position. */
function checkPin(p: PrincipalState, pin: Pin, seq: number): void {
  const h = p.hashes[pin.seq];
  if (!h || !equalBytes(h, pin.head))
    throw new ChainError('principal-pin', 'principal chain does not contain the pinned head', seq);
}
