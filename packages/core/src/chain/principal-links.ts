/**
 * Principal chain link bodies (PROTOCOL.md section 3.2). Type codes:
 * 1 genesis, 2 add-device, 3 revoke-device, 4 add-recovery, 5 device-invite, 6 accept-device-invite.
 */
import type { Reader, Writer } from '../encoding/canonical.js';
import { CHAIN_PRINCIPAL, type BodyCodec } from './link.js';

/** A human (several devices, optional recovery) or an agent (exactly one device). */
export const PRINCIPAL_KIND = { human: 1, agent: 2 } as const;
export type PrincipalKind = (typeof PRINCIPAL_KIND)[keyof typeof PRINCIPAL_KIND];

export type PrincipalLinkBody =
  | {
      type: 'genesis';
      principalKind: PrincipalKind;
      sigPk: Uint8Array;
      kemPk: Uint8Array;
      sponsor?: Uint8Array;
    }
  | { type: 'add-device'; sigPk: Uint8Array; kemPk: Uint8Array }
  | { type: 'revoke-device'; deviceId: Uint8Array }
  | { type: 'add-recovery'; sigPk: Uint8Array; kemPk: Uint8Array }
  | { type: 'device-invite'; inviteSigPk: Uint8Array; expires: number }
  | { type: 'accept-device-invite'; inviteId: Uint8Array; sigPk: Uint8Array; kemPk: Uint8Array };

const CODES = {
  genesis: 1,
  'add-device': 2,
  'revoke-device': 3,
  'add-recovery': 4,
  'device-invite': 5,
  'accept-device-invite': 6,
} as const;

export const principalCodec: BodyCodec<PrincipalLinkBody> = {
  kind: CHAIN_PRINCIPAL,
  write(w: Writer, body: PrincipalLinkBody): void {
    w.u8(CODES[body.type]);
    switch (body.type) {
      case 'genesis':
        w.u8(body.principalKind).fixed(body.sigPk, 32).fixed(body.kemPk, 32);
        w.opt(body.sponsor, (x, v) => x.fixed(v, 32));
        return;
      case 'add-device':
      case 'add-recovery':
        w.fixed(body.sigPk, 32).fixed(body.kemPk, 32);
        return;
      case 'revoke-device':
        w.fixed(body.deviceId, 32);
        return;
      case 'device-invite':
        w.fixed(body.inviteSigPk, 32).u64(body.expires);
        return;
      case 'accept-device-invite':
        w.fixed(body.inviteId, 32).fixed(body.sigPk, 32).fixed(body.kemPk, 32);
        return;
    }
  },
  read(r: Reader): PrincipalLinkBody {
    switch (r.enumU8('principal link type', Object.values(CODES))) {
      case 1: {
        const principalKind = r.enumU8('principal kind', [
          PRINCIPAL_KIND.human,
          PRINCIPAL_KIND.agent,
        ]);
        const sigPk = r.fixed(32);
        const kemPk = r.fixed(32);
        const sponsor = r.opt((x) => x.fixed(32));
        return { type: 'genesis', principalKind, sigPk, kemPk, ...(sponsor ? { sponsor } : {}) };
      }
      case 2:
        return { type: 'add-device', sigPk: r.fixed(32), kemPk: r.fixed(32) };
      case 3:
        return { type: 'revoke-device', deviceId: r.fixed(32) };
      case 4:
        return { type: 'add-recovery', sigPk: r.fixed(32), kemPk: r.fixed(32) };
      case 5:
        return { type: 'device-invite', inviteSigPk: r.fixed(32), expires: r.u64() };
      default:
        return {
          type: 'accept-device-invite',
          inviteId: r.fixed(32),
          sigPk: r.fixed(32),
          kemPk: r.fixed(32),
        };
    }
  },
  signatures(body: PrincipalLinkBody): number {
    return body.type === 'add-device' ||
      body.type === 'add-recovery' ||
      body.type === 'accept-device-invite'
      ? 2
      : 1;
  },
};
