/**
 * GET /v1/teams/:id/keyboxes/recipients: which devices (and invites) hold a key box for one
 * generation, ids only, for members only; on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { TestTeam } from './teams-fixture.js';

for (const kind of await dialects())
  describe(`key box recipients (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess;
    before(async () => {
      server = await spawnServer(storage);
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
    });

    it('lists the ids holding a box per generation, to members only', async () => {
      const alice = await TestClient.create(server.url);
      const bob = await TestClient.create(server.url);
      const carol = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      await team.add(alice, bob);
      const ask = (who: TestClient, g: string) =>
        who.request<{ generation: number; recipients: string[] }>(
          'GET',
          `/v1/teams/${team.id}/keyboxes/recipients?generation=${g}`,
        );
      const g1 = await ask(bob, '1');
      assert.equal(g1.status, 200);
      assert.equal(g1.body.generation, 1);
      assert.deepEqual(g1.body.recipients, [alice.deviceId, bob.deviceId].sort());
      assert.deepEqual(Object.keys(g1.body).sort(), ['generation', 'recipients'], 'ids only');
      assert.deepEqual((await ask(alice, '2')).body.recipients, [], 'no such generation yet');
      assert.equal((await team.remove(alice, bob)).status, 200);
      assert.deepEqual((await ask(alice, '2')).body.recipients, [alice.deviceId]);
      for (const outsider of [carol, bob]) {
        const r = await ask(outsider, '1');
        assert.equal(r.status, 404);
        assert.equal(r.body.error?.code, 'HUSH_ERR_NOT_FOUND');
      }
      for (const bad of ['', '0', 'x', '-1']) {
        const r = await ask(alice, bad);
        assert.equal(r.status, 400, `generation=${bad}`);
        assert.equal(r.body.error?.code, 'HUSH_ERR_BAD_REQUEST');
      }
    });
  });
