import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateDevice, principalLink, ROLE, sealKeyBox, toBase64url } from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { TestTeam } from './teams-fixture.js';

for (const kind of await dialects()) {
  describe(`principals, auth and teams (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    before(async () => {
      server = await spawnServer(storage);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('registers a principal idempotently and serves its chain', async () => {
      const alice = await TestClient.create(server.url);
      const again = await alice.request(
        'POST',
        '/v1/principals',
        { links: alice.links.map(toBase64url) },
        { auth: false },
      );
      assert.equal(again.status, 200);
      const info = await alice.request<{ headSeq: number; devices: unknown[] }>(
        'GET',
        `/v1/principals/${alice.id}`,
        undefined,
        { auth: false },
      );
      assert.equal(info.status, 200);
      assert.equal(info.body.headSeq, 0);
      const bad = await alice.request(
        'POST',
        '/v1/principals',
        { links: ['AAAA'] },
        { auth: false },
      );
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error?.code, 'HUSH_ERR_INVALID_LINK');
    });

    it('signs in by challenge; refuses a wrong signature, a reused challenge and a reused refresh token', async () => {
      const alice = await TestClient.create(server.url);
      const other = await generateDevice(b);
      const ch = await alice.request<{ nonce: string }>(
        'POST',
        '/v1/auth/challenge',
        { deviceId: alice.deviceId },
        { auth: false },
      );
      const bad = await alice.request(
        'POST',
        '/v1/auth/token',
        {
          deviceId: alice.deviceId,
          nonce: ch.body.nonce,
          signature: toBase64url(await b.ed25519Sign(other.sigSeed, new Uint8Array(1))),
        },
        { auth: false },
      );
      assert.equal(bad.body.error?.code, 'HUSH_ERR_CHALLENGE_FAILED');
      const reuse = await alice.request(
        'POST',
        '/v1/auth/token',
        {
          deviceId: alice.deviceId,
          nonce: ch.body.nonce,
          signature: toBase64url(new Uint8Array(64)),
        },
        { auth: false },
      );
      assert.equal(reuse.status, 401);
      const first = alice.refreshToken;
      const r1 = await alice.request<{ accessToken: string }>(
        'POST',
        '/v1/auth/refresh',
        { refreshToken: first },
        { auth: false },
      );
      assert.equal(r1.status, 200);
      const r2 = await alice.request(
        'POST',
        '/v1/auth/refresh',
        { refreshToken: first },
        { auth: false },
      );
      assert.equal(r2.body.error?.code, 'HUSH_ERR_REFRESH_REUSED');
      const afterRevoke = await alice.request('GET', '/v1/teams', undefined, {
        headers: { authorization: `Bearer ${r1.body.accessToken}` },
        auth: false,
      });
      assert.equal(afterRevoke.status, 401, 'the whole family is revoked');
      const none = await alice.request('GET', '/v1/teams', undefined, { auth: false });
      assert.equal(none.body.error?.code, 'HUSH_ERR_UNAUTHENTICATED');
    });

    it('creates a team, adds a member with key boxes, and hides the team from non-members', async () => {
      const alice = await TestClient.create(server.url);
      const bob = await TestClient.create(server.url);
      const carol = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      assert.equal((await team.add(alice, bob)).status, 200);
      const list = await bob.request<{ teams: { id: string; role: number }[] }>('GET', '/v1/teams');
      assert.deepEqual(
        list.body.teams.map((t) => [t.id, t.role]),
        [[team.id, ROLE.writer]],
      );
      const boxes = await bob.request<{ keyBoxes: unknown[] }>(
        'GET',
        `/v1/teams/${team.id}/keyboxes`,
      );
      assert.equal(boxes.body.keyBoxes.length, 1);
      const hidden = await carol.request('GET', `/v1/teams/${team.id}/links`);
      assert.equal(hidden.body.error?.code, 'HUSH_ERR_NOT_FOUND');
      const byWriter = await team.send(bob, [
        (await team.link(bob, { type: 'rename', nameCt: new Uint8Array(40) })).bytes,
      ]);
      assert.equal(byWriter.status, 403, 'a writer may not rename');
      assert.equal(byWriter.body.error?.code, 'HUSH_ERR_FORBIDDEN');
    });

    it('rejects a removal without its rotation, accepts it with one, and the removed member loses access', async () => {
      const alice = await TestClient.create(server.url);
      const bob = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      await team.add(alice, bob);
      const bare = await team.remove(alice, bob, true);
      assert.equal(bare.status, 422);
      assert.equal(
        (bare.body.error as { reason?: string } | undefined)?.reason,
        'removal-without-rotation',
      );
      const ok = await team.remove(alice, bob);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await bob.request('GET', `/v1/teams/${team.id}/links`)).status, 404);
    });

    it('revoking a device stops it at once', async () => {
      const alice = await TestClient.create(server.url);
      const laptopClient = await alice.linkDevice();
      const laptop = laptopClient.device;
      const revoke = await principalLink(b, alice.state, alice.device, {
        type: 'revoke-device',
        deviceId: laptop.id,
      });
      assert.equal(
        (
          await alice.request('POST', `/v1/principals/${alice.id}/links`, {
            links: [toBase64url(revoke.bytes)],
          })
        ).status,
        200,
      );
      const denied = await laptopClient.request('GET', '/v1/teams');
      assert.equal(denied.body.error?.code, 'HUSH_ERR_DEVICE_REVOKED');
    });

    it("takes key boxes without links only for the caller's own devices", async () => {
      const alice = await TestClient.create(server.url);
      const bob = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      await team.add(alice, bob, ROLE.reader);
      // bob links a laptop after the last rotation and boxes the current key to it himself
      const laptopClient = await bob.linkDevice();
      const laptop = laptopClient.device;
      const key = team.keys[0] as Parameters<typeof sealKeyBox>[3];
      const box = await sealKeyBox(b, team.state.id, 1, key, laptop.id, laptop.kemPk);
      const ok = await bob.request('POST', `/v1/teams/${team.id}/links`, {
        links: [],
        keyBoxes: [toBase64url(box)],
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const got = await laptopClient.request<{ keyBoxes: unknown[] }>(
        'GET',
        `/v1/teams/${team.id}/keyboxes`,
      );
      assert.equal(got.body.keyBoxes.length, 1);
      // not to someone else's device, and not an empty request
      const forAlice = await sealKeyBox(
        b,
        team.state.id,
        1,
        key,
        alice.device.id,
        alice.device.kemPk,
      );
      const denied = await bob.request('POST', `/v1/teams/${team.id}/links`, {
        links: [],
        keyBoxes: [toBase64url(forAlice)],
      });
      assert.equal(denied.body.error?.code, 'HUSH_ERR_FORBIDDEN');
      const empty = await bob.request('POST', `/v1/teams/${team.id}/links`, {
        links: [],
        keyBoxes: [],
      });
      assert.equal(empty.body.error?.code, 'HUSH_ERR_BAD_REQUEST');
      const head = await alice.request<{ links: string[] }>('GET', `/v1/teams/${team.id}/links`);
      assert.equal(head.body.links.length, 2, 'nothing was appended to the chain');
    });

    it('answers one of two racing appends with a chain conflict', async () => {
      const alice = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      const l1 = await team.link(alice, { type: 'rename', nameCt: new Uint8Array(40) });
      const l2 = await team.link(alice, { type: 'rename', nameCt: new Uint8Array(41) });
      const [r1, r2] = await Promise.all(
        [l1, l2].map((l) =>
          alice.request('POST', `/v1/teams/${team.id}/links`, { links: [toBase64url(l.bytes)] }),
        ),
      );
      assert.deepEqual([r1?.status, r2?.status].sort(), [200, 409]);
    });
  });
}
