/**
 * Principal chain verification and state (PROTOCOL.md section 3.2). A principal's id is
 * the hash of its genesis link, so a chain fetched from the server is checked against an id
 * learned out of band; every later link is signed by a device that is active at that point.
 */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes, toHex } from '../bytes.js';
import { deviceId, inviteId } from '../keys.js';
import { ChainError } from './errors.js';
import { ChainHead } from './head.js';
import { checkLinkSignature, parseLink, ZERO32, type ParsedLink } from './link.js';
import {
  PRINCIPAL_KIND,
  principalCodec,
  type PrincipalKind,
  type PrincipalLinkBody,
} from './principal-links.js';

/** A device as recorded in a principal chain. */
export interface DeviceRecord {
  readonly id: Uint8Array;
  readonly sigPk: Uint8Array;
  readonly kemPk: Uint8Array;
  readonly kind: 'device' | 'recovery';
  readonly addedSeq: number;
  /** Link time of the link that added the device. */
  readonly addedAt: number;
  /** Link time of the revocation, when revoked. */
  revokedAt?: number;
  revokedSeq?: number;
}

interface DeviceInvite {
  readonly sigPk: Uint8Array;
  readonly expires: number;
  used: boolean;
}

/** The verified state of one principal chain. Apply links in order; a failed apply changes nothing. */
export class PrincipalState extends ChainHead {
  readonly id: Uint8Array;
  readonly kind: PrincipalKind;
  readonly sponsor: Uint8Array | undefined;
  readonly devices = new Map<string, DeviceRecord>();
  readonly #invites = new Map<string, DeviceInvite>();

  private constructor(
    genesis: ParsedLink<PrincipalLinkBody & { type: 'genesis' }>,
    device: DeviceRecord,
  ) {
    super();
    this.id = genesis.hash;
    this.kind = genesis.body.principalKind;
    this.sponsor = genesis.body.sponsor;
    this.devices.set(toHex(device.id), device);
    this.advance(genesis);
  }

  /** Devices that are not revoked (including a recovery device). */
  activeDevices(): DeviceRecord[] {
    return [...this.devices.values()].filter((d) => d.revokedAt === undefined);
  }

  /**
   * The device if it belongs to this principal and was valid at `time` (a link or object
   * time): added at or before it, and not revoked at or before it.
   */
  deviceAt(id: Uint8Array, time: number): DeviceRecord | undefined {
    const d = this.devices.get(toHex(id));
    if (!d || d.addedAt > time || (d.revokedAt !== undefined && d.revokedAt <= time))
      return undefined;
    return d;
  }

  /**
   * Verifies a genesis link and starts the state.
   * @example const alice = await PrincipalState.fromGenesis(backend, genesisBytes, expectedId);
   */
  static async fromGenesis(
    b: CryptoBackend,
    bytes: Uint8Array,
    expectedId?: Uint8Array,
  ): Promise<PrincipalState> {
    const link = await parseLink(b, principalCodec, bytes);
    const body = link.body;
    if (
      body.type !== 'genesis' ||
      link.seq !== 0 ||
      !equalBytes(link.chainId, ZERO32) ||
      !equalBytes(link.prev, ZERO32) ||
      !equalBytes(link.author, ZERO32)
    ) {
      throw new ChainError('bad-genesis', 'first link is not a well-formed genesis', 0);
    }
    if (expectedId && !equalBytes(link.hash, expectedId)) {
      throw new ChainError('wrong-chain', 'genesis does not hash to the expected principal id', 0);
    }
    if (body.principalKind === PRINCIPAL_KIND.human && body.sponsor) {
      throw new ChainError('bad-genesis', 'only agents have a sponsor', 0);
    }
    const id = await deviceId(b, body);
    if (!equalBytes(id, link.signerDevice))
      throw new ChainError('unknown-signer', 'genesis must be signed by its own device', 0);
    await checkLinkSignature(b, link, 0, body.sigPk);
    return new PrincipalState(link as ParsedLink<PrincipalLinkBody & { type: 'genesis' }>, {
      id,
      sigPk: body.sigPk,
      kemPk: body.kemPk,
      kind: 'device',
      addedSeq: 0,
      addedAt: link.time,
    });
  }

  /** Verifies a whole chain from genesis. */
  static async verify(
    b: CryptoBackend,
    links: readonly Uint8Array[],
    expectedId?: Uint8Array,
  ): Promise<PrincipalState> {
    const [first, ...rest] = links;
    if (!first) throw new ChainError('bad-genesis', 'chain is empty');
    const state = await PrincipalState.fromGenesis(b, first, expectedId);
    for (const l of rest) await state.apply(b, l);
    return state;
  }

  /** Verifies the next link and applies it. On any error the state is unchanged. */
  async apply(b: CryptoBackend, bytes: Uint8Array): Promise<ParsedLink<PrincipalLinkBody>> {
    const link = await parseLink(b, principalCodec, bytes);
    if (!equalBytes(link.author, this.id)) {
      throw new ChainError('wrong-chain', 'link belongs to another principal', link.seq);
    }
    const seq = this.checkPosition(link, 'principal');
    const body = link.body;

    if (body.type === 'accept-device-invite') {
      await this.#checkAccept(b, link, body);
    } else {
      const signer = this.deviceAt(link.signerDevice, link.time);
      if (!signer)
        throw new ChainError(
          'unknown-signer',
          'signer is not an active device of this principal',
          seq,
        );
      await checkLinkSignature(b, link, 0, signer.sigPk);
    }

    let added: DeviceRecord | undefined;
    switch (body.type) {
      case 'genesis':
        throw new ChainError('bad-genesis', 'genesis after the first link', seq);
      case 'add-device':
      case 'add-recovery': {
        if (this.kind === PRINCIPAL_KIND.agent)
          throw new ChainError('not-authorized', 'an agent has exactly one device', seq);
        added = await this.#newDevice(
          b,
          body,
          body.type === 'add-recovery' ? 'recovery' : 'device',
          seq,
          link.time,
        );
        await checkLinkSignature(b, link, 1, body.sigPk, 'countersig');
        break;
      }
      case 'revoke-device': {
        const target = this.devices.get(toHex(body.deviceId));
        if (!target || target.revokedAt !== undefined)
          throw new ChainError('invalid', 'revoked device is not active', seq);
        if (this.activeDevices().length <= 1)
          throw new ChainError('invalid', 'cannot revoke the last active device', seq);
        break;
      }
      case 'device-invite':
        if (this.kind === PRINCIPAL_KIND.agent)
          throw new ChainError('not-authorized', 'an agent has exactly one device', seq);
        if (body.expires <= link.time)
          throw new ChainError('invalid', 'invite expires before it is made', seq);
        if (this.#invites.has(toHex(await inviteId(b, body.inviteSigPk))))
          throw new ChainError('invalid', 'invite key reused', seq);
        break;
      case 'accept-device-invite':
        added = await this.#newDevice(b, body, 'device', seq, link.time);
        if (!equalBytes(added.id, link.signerDevice))
          throw new ChainError(
            'unknown-signer',
            'acceptance must be signed by the new device',
            seq,
          );
        await checkLinkSignature(b, link, 0, body.sigPk);
        break;
    }

    // Every check passed: mutate.
    if (added) this.devices.set(toHex(added.id), added);
    if (body.type === 'revoke-device') {
      const target = this.devices.get(toHex(body.deviceId)) as DeviceRecord;
      target.revokedAt = link.time;
      target.revokedSeq = seq;
    }
    if (body.type === 'device-invite') {
      this.#invites.set(toHex(await inviteId(b, body.inviteSigPk)), {
        sigPk: body.inviteSigPk,
        expires: body.expires,
        used: false,
      });
    }
    if (body.type === 'accept-device-invite')
      (this.#invites.get(toHex(body.inviteId)) as DeviceInvite).used = true;
    this.advance(link);
    return link;
  }

  async #newDevice(
    b: CryptoBackend,
    keys: { sigPk: Uint8Array; kemPk: Uint8Array },
    kind: DeviceRecord['kind'],
    seq: number,
    time: number,
  ) {
    const id = await deviceId(b, keys);
    if (this.devices.has(toHex(id)))
      throw new ChainError('invalid', 'device is already in the chain', seq);
    return {
      id,
      sigPk: keys.sigPk,
      kemPk: keys.kemPk,
      kind,
      addedSeq: seq,
      addedAt: time,
    } satisfies DeviceRecord;
  }

  async #checkAccept(
    b: CryptoBackend,
    link: ParsedLink<PrincipalLinkBody>,
    body: PrincipalLinkBody & { type: 'accept-device-invite' },
  ) {
    const invite = this.#invites.get(toHex(body.inviteId));
    if (!invite)
      throw new ChainError('unknown-invite', 'acceptance names no invite of this chain', link.seq);
    if (invite.used) throw new ChainError('invite-used', 'invite was already used', link.seq);
    if (link.time > invite.expires)
      throw new ChainError('invite-expired', 'invite had expired', link.seq);
    await checkLinkSignature(b, link, 1, invite.sigPk, 'invitesig');
  }
}
