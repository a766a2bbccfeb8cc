// A team built once, offline, with core's builders (principals, team chain, key boxes,
// sealed object envelopes), then provisioned on each server under test: every id is chosen
// by the client, so the SQLite and the PostgreSQL server get the same principals and team,
// and the same sealed envelopes serve both. Sign-in follows packages/server/test/client.ts.
import {
  COLLECTION,
  createTeam,
  generateDevice,
  pinOf,
  principalGenesis,
  PrincipalState,
  ROLE,
  sealKeyBox,
  sealTeamEnvelope,
  TeamState,
  teamLink,
  toBase64url,
} from '../../packages/core/dist/src/index.js';
import { nodeBackend as b } from '../../packages/core/dist/src/node.js';
import { TestClient } from '../../packages/server/dist/test/client.js';

async function identity() {
  const device = await generateDevice(b);
  const g = await principalGenesis(b, device, {});
  const links = [g.bytes];
  return { device, links, state: await PrincipalState.verify(b, links) };
}

/** An owner (the writer) and `readers` reader members of one team, with its chain. */
export async function buildTeam(readers) {
  const owner = await identity();
  const members = [];
  for (let i = 0; i < readers; i++) members.push(await identity());
  const byId = new Map([owner, ...members].map((p) => [toBase64url(p.state.id), p.state]));
  const resolve = (id) => byId.get(toBase64url(id));
  const created = await createTeam(b, {
    author: owner.state.id,
    device: owner.device,
    name: 'bench',
    devices: owner.state.activeDevices().map((d) => ({ id: d.id, kemPk: d.kemPk })),
  });
  const teamKey = created.teamKey;
  const state = await TeamState.fromCreate(b, created.link.bytes, resolve);
  const appends = [];
  for (const m of members) {
    const l = await teamLink(b, state, owner.state.id, owner.device, {
      type: 'add-member',
      member: m.state.id,
      role: ROLE.reader,
      pin: pinOf(m.state),
      nameCt: new Uint8Array(0),
    });
    const gen = state.current.generation;
    const boxes = await Promise.all(
      m.state.activeDevices().map((d) => sealKeyBox(b, state.id, gen, teamKey, d.id, d.kemPk)),
    );
    appends.push({ links: [toBase64url(l.bytes)], keyBoxes: boxes.map(toBase64url) });
    await state.apply(b, l.bytes, resolve);
  }
  return {
    owner,
    members,
    state,
    teamKey,
    id: toBase64url(state.id),
    genesis: {
      links: [toBase64url(created.link.bytes)],
      keyBoxes: created.keyBoxes.map(toBase64url),
    },
    appends,
  };
}

async function must(reply, status, what) {
  const r = await reply;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/** Registers the team's principals on the server at `url`, signs them in, creates the team. */
export async function provision(url, team) {
  const clients = [];
  for (const p of [team.owner, ...team.members]) {
    const c = new TestClient(url, p.device);
    c.links = p.links;
    c.state = p.state;
    const body = { links: p.links.map(toBase64url) };
    await must(c.request('POST', '/v1/principals', body, { auth: false }), 201, 'register');
    await must(c.signIn(), 200, 'sign in');
    clients.push(c);
  }
  const [owner, ...members] = clients;
  await must(owner.request('POST', '/v1/teams', team.genesis), 201, 'create team');
  for (const a of team.appends)
    await must(owner.request('POST', `/v1/teams/${team.id}/links`, a), 200, 'add member');
  return { owner, members };
}

/**
 * Seals `n` new message objects whose envelopes (header and signature included) are the
 * smallest padded size of at least `size` bytes. Each is a PUT request
 * body for the object route, with its path.
 */
export async function sealObjects(team, n, size = 400) {
  const gen = team.state.current.generation;
  // Bodies are padded (Padmé), so envelope sizes come in steps: take the first step >= size.
  let body = new Uint8Array(0);
  while ((await sealTeamEnvelope(b, input(team, gen, body))).envelope.length < size)
    body = new Uint8Array(body.length + 8);
  const out = [];
  for (let i = 0; i < n; i++) {
    const objectId = b.randomBytes(16);
    const { envelope } = await sealTeamEnvelope(b, { ...input(team, gen, body), objectId });
    out.push({
      method: 'PUT',
      path: `/v1/teams/${team.id}/objects/${toBase64url(objectId)}/versions/1`,
      body: JSON.stringify({ envelope: toBase64url(envelope) }),
      bytes: envelope.length,
    });
  }
  return out;
}

function input(team, generation, body) {
  return {
    teamId: team.state.id,
    generation,
    chainSeq: team.state.seq,
    key: team.teamKey,
    author: team.owner.state.id,
    device: team.owner.device,
    collection: COLLECTION.message,
    body,
  };
}
