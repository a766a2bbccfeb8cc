/** Team operations for server tests, built with core's builders and sent through the API. */
import {
  createTeam,
  fromBase64url,
  pinOf,
  rotation,
  ROLE,
  sealKeyBox,
  TeamState,
  teamLink,
  toBase64url,
  type Role,
  type TeamKey,
  type TeamLinkBody,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import type { TestClient } from './client.js';

export class TestTeam {
  keys: TeamKey[] = [];
  constructor(
    public state: TeamState,
    readonly members: Map<string, TestClient>,
  ) {}

  get id(): string {
    return toBase64url(this.state.id);
  }

  resolve = (id: Uint8Array) => this.members.get(toBase64url(id))?.state;

  static async create(owner: TestClient, name = 'platform'): Promise<TestTeam> {
    const devices = owner.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk }));
    const { link, teamKey, keyBoxes } = await createTeam(b, {
      author: owner.state.id,
      device: owner.device,
      name,
      devices,
    });
    const r = await owner.request('POST', '/v1/teams', {
      links: [toBase64url(link.bytes)],
      keyBoxes: keyBoxes.map(toBase64url),
    });
    if (r.status !== 201) throw new Error(`create team failed: ${JSON.stringify(r.body)}`);
    const members = new Map([[owner.id, owner]]);
    const t = new TestTeam(
      await TeamState.fromCreate(b, link.bytes, (id) => members.get(toBase64url(id))?.state),
      members,
    );
    t.keys.push(teamKey);
    return t;
  }

  /** Builds a link by `by` (applied locally only once the server accepted it). */
  link(by: TestClient, body: TeamLinkBody, second?: Uint8Array) {
    return teamLink(b, this.state, by.state.id, by.device, body, second ? { second } : {});
  }

  async send(by: TestClient, links: Uint8Array[], keyBoxes: Uint8Array[] = []) {
    const r = await by.request('POST', `/v1/teams/${this.id}/links`, {
      links: links.map(toBase64url),
      keyBoxes: keyBoxes.map(toBase64url),
    });
    if (r.status === 200) for (const l of links) await this.state.apply(b, l, this.resolve);
    return r;
  }

  async add(by: TestClient, member: TestClient, role: Role = ROLE.writer) {
    this.members.set(member.id, member);
    const l = await this.link(by, {
      type: 'add-member',
      member: member.state.id,
      role,
      pin: pinOf(member.state),
      nameCt: new Uint8Array(0),
    });
    const gen = this.state.current.generation;
    const boxes = await Promise.all(
      member.state
        .activeDevices()
        .map((d) =>
          sealKeyBox(b, this.state.id, gen, this.keys[gen - 1] as TeamKey, d.id, d.kemPk),
        ),
    );
    return this.send(by, [l.bytes], boxes);
  }

  /** Remove + rotate in one append (or, with `withoutRotation`, the bare removal). */
  async remove(by: TestClient, member: TestClient, withoutRotation = false) {
    const removal = await this.link(by, { type: 'remove-member', member: member.state.id });
    if (withoutRotation)
      return by.request('POST', `/v1/teams/${this.id}/links`, {
        links: [toBase64url(removal.bytes)],
      });
    // The rotation must be built on the chain as it will be after the removal.
    const scratch = await TeamState.verify(b, await this.chainBytes(by), this.resolve);
    await scratch.apply(b, removal.bytes, this.resolve);
    const devices = [...scratch.members.values()]
      .flatMap((m) => this.resolve(m.principal)?.activeDevices() ?? [])
      .map((d) => ({ id: d.id, kemPk: d.kemPk }));
    const rot = await rotation(b, scratch, this.keys[this.keys.length - 1] as TeamKey, devices);
    const rotLink = await teamLink(b, scratch, by.state.id, by.device, rot.body);
    const r = await this.send(by, [removal.bytes, rotLink.bytes], rot.keyBoxes);
    if (r.status === 200) this.keys.push(rot.teamKey);
    return r;
  }

  async chainBytes(by: TestClient): Promise<Uint8Array[]> {
    const r = await by.request<{ links: string[] }>('GET', `/v1/teams/${this.id}/links`);
    return r.body.links.map(fromBase64url);
  }
}
