/**
 * Fuzzing both chain kinds (PROTOCOL.md 3 and 4): single links through `parseLink`
 * (accepted links re-serialize byte-identically) and whole chains through
 * `PrincipalState.verify` and `TeamState.verify` (an accepted chain is, link for link, a
 * prefix of a chain that was really built). The only error allowed is ChainError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend as b } from '../src/backend/node.js';
import { ChainError } from '../src/chain/errors.js';
import { parseLink, serializeLink } from '../src/chain/link.js';
import { PrincipalState } from '../src/chain/principal.js';
import { principalCodec } from '../src/chain/principal-links.js';
import { ROLE } from '../src/chain/roles.js';
import { TeamState } from '../src/chain/team.js';
import { teamCodec } from '../src/chain/team-links.js';
import { pinOf } from '../src/chain/pin.js';
import { utf8 } from '../src/bytes.js';
import { inviteKeys, newInviteToken } from '../src/invite.js';
import { generateDevice } from '../src/keys.js';
import { sealTeamField } from '../src/team-key.js';
import { fuzzParser, isPrefixOf, mutatedFrom, mutatedList, sameBytes } from './fuzz-kit.js';
import { Team, World } from './world.js';

const chainError = (e: unknown) => e instanceof ChainError;

/** Two principals with every principal link type, and a team with every team link type. */
async function world() {
  const w = new World(b);
  const alice = await w.person('alice');
  const laptop = await w.addDevice(alice);
  await w.addRecovery(alice, laptop);
  const deviceToken = await inviteKeys(b, newInviteToken(b, 'device', alice.id));
  await w.appendPrincipal(
    alice,
    await w.principalLink(alice, {
      type: 'device-invite',
      inviteSigPk: deviceToken.sigPk,
      expires: w.clock + 60_000,
    }),
  );
  const phone = await generateDevice(b);
  await w.appendPrincipal(
    alice,
    await w.principalLink(
      alice,
      {
        type: 'accept-device-invite',
        inviteId: deviceToken.inviteId,
        sigPk: phone.sigPk,
        kemPk: phone.kemPk,
      },
      phone,
      deviceToken.sigSeed,
    ),
  );
  await w.appendPrincipal(
    alice,
    await w.principalLink(alice, { type: 'revoke-device', deviceId: laptop.id }),
  );
  const bob = await w.person('bob');
  const carol = await w.person('carol');
  const agent = await w.person('agent', { agent: true, sponsor: alice.id });

  const team = await Team.create(w, alice);
  await team.add(alice, bob, ROLE.writer);
  await team.append(alice, { type: 'set-role', member: bob.id, role: ROLE.admin });
  const teamToken = await inviteKeys(b, newInviteToken(b, 'team', team.state.id));
  await team.append(alice, {
    type: 'invite',
    inviteSigPk: teamToken.sigPk,
    inviteKemPk: teamToken.kemPk,
    role: ROLE.reader,
    expires: w.clock + 60_000,
  });
  await team.append(
    carol,
    {
      type: 'accept-invite',
      inviteId: teamToken.inviteId,
      pin: pinOf(carol.state),
      nameCt: await sealTeamField(
        b,
        team.key,
        team.state.current.generation,
        'member-name',
        carol.id,
        utf8('carol'),
      ),
    },
    teamToken.sigSeed,
  );
  await team.add(bob, agent, ROLE.agent);
  await team.append(alice, {
    type: 'rename',
    nameCt: await sealTeamField(
      b,
      team.key,
      team.state.current.generation,
      'team-name',
      new Uint8Array(32),
      utf8('platform-2'),
    ),
  });
  await team.remove(alice, bob);
  await team.rotate(alice);
  return { w, principals: [alice.links, bob.links, carol.links, agent.links], team };
}

describe('fuzz: chain links and chains', async () => {
  const { w, principals, team } = await world();

  it('principal links: parse then serialize is the identity, else a ChainError', async () => {
    await fuzzParser({
      name: 'principal-link',
      input: mutatedFrom(principals.flat()),
      parse: async (x) => serializeLink(principalCodec, await parseLink(b, principalCodec, x)),
      accepted: (x, again) => sameBytes(again, x, 'principal link'),
      typed: chainError,
    });
  });

  it('team links: parse then serialize is the identity, else a ChainError', async () => {
    await fuzzParser({
      name: 'team-link',
      input: mutatedFrom(team.links),
      parse: async (x) => serializeLink(teamCodec, await parseLink(b, teamCodec, x)),
      accepted: (x, again) => sameBytes(again, x, 'team link'),
      typed: chainError,
    });
  });

  it('principal chains: only a prefix of a built chain verifies, else a ChainError', async () => {
    await fuzzParser({
      name: 'principal-chain',
      input: mutatedList(principals).map(([, links]) => links),
      parse: (links) => PrincipalState.verify(b, links),
      accepted: (links, st) => {
        assert.ok(isPrefixOf(links, principals), 'a changed principal chain verified');
        assert.equal(st.seq, links.length - 1);
      },
      typed: chainError,
    });
  });

  it('team chains: only a prefix of the built chain verifies, else a ChainError', async () => {
    await fuzzParser({
      name: 'team-chain',
      input: mutatedList([team.links]).map(([, links]) => links),
      parse: (links) => TeamState.verify(b, links, w.resolve),
      accepted: (links, st) => {
        assert.ok(isPrefixOf(links, [team.links]), 'a changed team chain verified');
        assert.equal(st.seq, links.length - 1);
      },
      typed: chainError,
    });
  });
});
