/**
 * A small world of principals and a team, built with the real builders, for chain,
 * envelope and vector tests. Times come from a fixed clock so runs are reproducible in
 * structure (keys and signatures are still random).
 */
import type { CryptoBackend } from '../src/backend/types.js';
import { toHex } from '../src/bytes.js';
import {
  createTeam,
  principalGenesis,
  principalLink,
  rotation,
  teamLink,
  type BoxRecipient,
} from '../src/chain/build.js';
import type { ParsedLink } from '../src/chain/link.js';
import { PrincipalState } from '../src/chain/principal.js';
import type { PrincipalLinkBody } from '../src/chain/principal-links.js';
import { ROLE, type Role } from '../src/chain/roles.js';
import { TeamState } from '../src/chain/team.js';
import type { TeamLinkBody } from '../src/chain/team-links.js';
import {
  deriveRecoveryDevice,
  generateDevice,
  type DeviceSecretKeys,
  type TeamKey,
} from '../src/keys.js';
import { sealTeamField } from '../src/team-key.js';

export const T0 = 1_760_000_000_000;

/** One principal with its devices and verified chain. */
export interface Person {
  readonly name: string;
  readonly devices: DeviceSecretKeys[];
  readonly links: Uint8Array[];
  state: PrincipalState;
  get id(): Uint8Array;
  get device(): DeviceSecretKeys;
}

export class World {
  readonly people = new Map<string, Person>();
  clock = T0;
  constructor(readonly b: CryptoBackend) {}

  tick(): number {
    this.clock += 1000;
    return this.clock;
  }

  resolve = (id: Uint8Array): PrincipalState | undefined => {
    for (const p of this.people.values()) if (toHex(p.id) === toHex(id)) return p.state;
    return undefined;
  };

  async person(
    name: string,
    opts: { agent?: boolean; sponsor?: Uint8Array } = {},
  ): Promise<Person> {
    const device = await generateDevice(this.b);
    const g = await principalGenesis(this.b, device, { ...opts, time: this.tick() });
    const state = await PrincipalState.fromGenesis(this.b, g.bytes, g.hash);
    const p: Person = {
      name,
      devices: [device],
      links: [g.bytes],
      state,
      get id() {
        return this.state.id;
      },
      get device() {
        return this.devices[0] as DeviceSecretKeys;
      },
    };
    this.people.set(name, p);
    return p;
  }

  /** Builds (not applies) the next principal link. */
  principalLink(
    p: Person,
    body: PrincipalLinkBody,
    signer = p.device,
    second?: Uint8Array,
  ): Promise<ParsedLink<PrincipalLinkBody>> {
    return principalLink(this.b, p.state, signer, body, {
      time: this.tick(),
      ...(second ? { second } : {}),
    });
  }

  async appendPrincipal(p: Person, link: ParsedLink<PrincipalLinkBody>): Promise<void> {
    await p.state.apply(this.b, link.bytes);
    p.links.push(link.bytes);
  }

  async addDevice(p: Person): Promise<DeviceSecretKeys> {
    const d = await generateDevice(this.b);
    await this.appendPrincipal(
      p,
      await this.principalLink(
        p,
        { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
        p.device,
        d.sigSeed,
      ),
    );
    p.devices.push(d);
    return d;
  }

  /** Adds a recovery device, signed by `signer` and countersigned by the recovery key. */
  async addRecovery(p: Person, signer = p.device): Promise<DeviceSecretKeys> {
    const recovery = await deriveRecoveryDevice(this.b, this.b.randomBytes(32));
    await this.appendPrincipal(
      p,
      await this.principalLink(
        p,
        { type: 'add-recovery', sigPk: recovery.sigPk, kemPk: recovery.kemPk },
        signer,
        recovery.sigSeed,
      ),
    );
    return recovery;
  }

  devicesOf(...people: Person[]): BoxRecipient[] {
    return people.flatMap((p) =>
      p.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })),
    );
  }
}

/** A team as seen by a test: its links, verified state and keys by generation. */
export class Team {
  readonly links: Uint8Array[] = [];
  readonly keys: TeamKey[] = [];
  readonly boxes: Uint8Array[] = [];
  private constructor(
    readonly w: World,
    public state: TeamState,
  ) {}

  static async create(w: World, owner: Person, name = 'platform'): Promise<Team> {
    const { link, teamKey, keyBoxes } = await createTeam(w.b, {
      author: owner.id,
      device: owner.device,
      name,
      ownerName: owner.name,
      devices: w.devicesOf(owner),
      time: w.tick(),
    });
    const t = new Team(w, await TeamState.fromCreate(w.b, link.bytes, w.resolve, link.hash));
    t.links.push(link.bytes);
    t.keys.push(teamKey);
    t.boxes.push(...keyBoxes);
    return t;
  }

  get key(): TeamKey {
    return this.keys[this.keys.length - 1] as TeamKey;
  }

  link(
    author: Person,
    body: TeamLinkBody,
    second?: Uint8Array,
    device = author.device,
  ): Promise<ParsedLink<TeamLinkBody>> {
    return teamLink(this.w.b, this.state, author.id, device, body, {
      time: this.w.tick(),
      ...(second ? { second } : {}),
    });
  }

  async append(
    author: Person,
    body: TeamLinkBody,
    second?: Uint8Array,
  ): Promise<ParsedLink<TeamLinkBody>> {
    const l = await this.link(author, body, second);
    await this.state.apply(this.w.b, l.bytes, this.w.resolve);
    this.links.push(l.bytes);
    return l;
  }

  async add(by: Person, member: Person, role: Role = ROLE.writer): Promise<void> {
    const nameCt = await sealTeamField(
      this.w.b,
      this.key,
      this.state.current.generation,
      'member-name',
      member.id,
      new TextEncoder().encode(member.name),
    );
    await this.append(by, {
      type: 'add-member',
      member: member.id,
      role,
      pin: { seq: member.state.seq, head: member.state.head },
      nameCt,
    });
  }

  /** The rotate body for the current members' devices. */
  async rotationFor(): Promise<{ body: TeamLinkBody; teamKey: TeamKey; keyBoxes: Uint8Array[] }> {
    const members = [...this.state.members.values()]
      .map((m) => this.w.resolve(m.principal))
      .filter((p) => p !== undefined);
    const devices = members.flatMap((p) =>
      p.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })),
    );
    return rotation(this.w.b, this.state, this.key, devices);
  }

  async rotate(by: Person): Promise<void> {
    const r = await this.rotationFor();
    await this.append(by, r.body);
    this.keys.push(r.teamKey);
    this.boxes.push(...r.keyBoxes);
  }

  async remove(by: Person, member: Person): Promise<void> {
    await this.append(by, { type: 'remove-member', member: member.id });
    await this.rotate(by);
  }
}
