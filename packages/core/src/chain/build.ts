/**
 * Building and signing links: the writer's side of principal and team chains. Every
 * builder returns a parsed link that the corresponding state's `apply` accepts; clients
 * apply their own links before sending them, so a bug here fails locally, not on a peer.
 */
import type { CryptoBackend } from '../backend/types.js';
import { compareBytes, utf8 } from '../bytes.js';
import { type DeviceSecretKeys, type TeamKey } from '../keys.js';
import { sealKeyBox } from '../keybox.js';
import { generateTeamKey, keyCommitment, sealPreviousKey, sealTeamField } from '../team-key.js';
import { buildLink, ZERO32, type ParsedLink, type SecondSigner } from './link.js';
import type { PrincipalState } from './principal.js';
import { principalCodec, PRINCIPAL_KIND, type PrincipalLinkBody } from './principal-links.js';
import type { TeamState } from './team.js';
import { teamCodec, type TeamLinkBody } from './team-links.js';

/** Options shared by the builders. */
export interface LinkOptions {
  /** Link time in ms; defaults to now, never earlier than the previous link. */
  readonly time?: number;
  /** Seed of the second signer (new device or invite key) when the link type needs one. */
  readonly second?: Uint8Array;
}

function timeAfter(last: number, t?: number): number {
  return t ?? Math.max(Date.now(), last);
}

/**
 * The genesis link of a new principal, signed by its first device.
 * @example const genesis = await principalGenesis(backend, device); // genesis.hash is the principal id
 */
export function principalGenesis(
  b: CryptoBackend,
  device: DeviceSecretKeys,
  opts: { agent?: boolean; sponsor?: Uint8Array; time?: number } = {},
): Promise<ParsedLink<PrincipalLinkBody>> {
  const body: PrincipalLinkBody = {
    type: 'genesis',
    principalKind: opts.agent ? PRINCIPAL_KIND.agent : PRINCIPAL_KIND.human,
    sigPk: device.sigPk,
    kemPk: device.kemPk,
    ...(opts.sponsor ? { sponsor: opts.sponsor } : {}),
  };
  const common = {
    chainId: ZERO32,
    seq: 0,
    prev: ZERO32,
    time: opts.time ?? Date.now(),
    signerDevice: device.id,
    author: ZERO32,
  };
  return buildLink(b, principalCodec, common, body, [device.sigSeed]);
}

/** The next link of a principal chain, signed by `signer` (the new device itself for an acceptance). */
export function principalLink(
  b: CryptoBackend,
  state: PrincipalState,
  signer: DeviceSecretKeys,
  body: PrincipalLinkBody,
  opts: LinkOptions = {},
): Promise<ParsedLink<PrincipalLinkBody>> {
  const common = {
    chainId: state.id,
    seq: state.seq + 1,
    prev: state.head,
    time: timeAfter(state.lastTime, opts.time),
    signerDevice: signer.id,
    author: state.id,
  };
  const second: SecondSigner = body.type === 'accept-device-invite' ? 'invitesig' : 'countersig';
  return buildLink(
    b,
    principalCodec,
    common,
    body,
    opts.second ? [signer.sigSeed, opts.second] : [signer.sigSeed],
    second,
  );
}

/** A device a team key is boxed to. */
export interface BoxRecipient {
  readonly id: Uint8Array;
  readonly kemPk: Uint8Array;
}

function sortRecipients(rs: readonly BoxRecipient[]): BoxRecipient[] {
  return [...rs]
    .sort((x, y) => compareBytes(x.id, y.id))
    .filter((x, i, a) => i === 0 || compareBytes((a[i - 1] as BoxRecipient).id, x.id) !== 0);
}

/**
 * Creates a team: a fresh generation-1 key, the team name and the creator's display name
 * encrypted under it, the create link, and a key box for each of the creator's devices.
 */
export async function createTeam(
  b: CryptoBackend,
  input: {
    author: Uint8Array;
    device: DeviceSecretKeys;
    name: string;
    /** The creator's display name as members will see it; empty or absent for none. */
    ownerName?: string;
    devices: readonly BoxRecipient[];
    time?: number;
  },
): Promise<{ link: ParsedLink<TeamLinkBody>; teamKey: TeamKey; keyBoxes: Uint8Array[] }> {
  const teamKey = generateTeamKey(b);
  const recipients = sortRecipients(input.devices);
  const body: TeamLinkBody = {
    type: 'create',
    nameCt: await sealTeamField(b, teamKey, 1, 'team-name', ZERO32, utf8(input.name)),
    ownerNameCt: input.ownerName
      ? await sealTeamField(b, teamKey, 1, 'member-name', input.author, utf8(input.ownerName))
      : new Uint8Array(0),
    keyCommit: await keyCommitment(b, 1, teamKey),
    recipients: recipients.map((r) => r.id),
  };
  const common = {
    chainId: ZERO32,
    seq: 0,
    prev: ZERO32,
    time: input.time ?? Date.now(),
    signerDevice: input.device.id,
    author: input.author,
  };
  const link = await buildLink(b, teamCodec, common, body, [input.device.sigSeed]);
  const keyBoxes = await Promise.all(
    recipients.map((r) => sealKeyBox(b, link.hash, 1, teamKey, r.id, r.kemPk)),
  );
  return { link, teamKey, keyBoxes };
}

/** The next link of a team chain. */
export function teamLink(
  b: CryptoBackend,
  state: TeamState,
  author: Uint8Array,
  device: DeviceSecretKeys,
  body: TeamLinkBody,
  opts: LinkOptions = {},
): Promise<ParsedLink<TeamLinkBody>> {
  const common = {
    chainId: state.id,
    seq: state.seq + 1,
    prev: state.head,
    time: timeAfter(state.lastTime, opts.time),
    signerDevice: device.id,
    author,
  };
  return buildLink(
    b,
    teamCodec,
    common,
    body,
    opts.second ? [device.sigSeed, opts.second] : [device.sigSeed],
    'invitesig',
  );
}

/**
 * The body of a rotation to generation current+1, the new key, and its key boxes for every
 * recipient (current members' devices and open invites).
 */
export async function rotation(
  b: CryptoBackend,
  state: TeamState,
  currentKey: TeamKey,
  recipients: readonly BoxRecipient[],
): Promise<{ body: TeamLinkBody; teamKey: TeamKey; keyBoxes: Uint8Array[] }> {
  const generation = state.current.generation + 1;
  const teamKey = generateTeamKey(b);
  const sorted = sortRecipients(recipients);
  const body: TeamLinkBody = {
    type: 'rotate-key',
    generation,
    keyCommit: await keyCommitment(b, generation, teamKey),
    prevKeyCt: await sealPreviousKey(b, state.id, generation, teamKey, currentKey),
    recipients: sorted.map((r) => r.id),
  };
  const keyBoxes = await Promise.all(
    sorted.map((r) => sealKeyBox(b, state.id, generation, teamKey, r.id, r.kemPk)),
  );
  return { body, teamKey, keyBoxes };
}
