/**
 * The server's chain cache (store/chains.ts) under a burst: after a restart every request
 * misses it, and after a team append every request finds its team entry stale. Concurrent
 * requests that miss it for the same chain head share one load and verification, which
 * `hush_chain_loads_total` on `/metrics` counts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TestClient } from './client.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { pool, put, reconnect, sealWrites, type Write } from './object-writes.js';
import { TestTeam } from './teams-fixture.js';

const ARGS = ['--rate-limit', '100000'];
const BURST = 48;

/** The server's chain loads so far, by chain kind. */
async function chainLoads(url: string): Promise<{ principal: number; team: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (chain: string) => {
    const m = new RegExp(`^hush_chain_loads_total\\{chain="${chain}"\\} (\\d+)$`, 'm').exec(text);
    assert.ok(m, `/metrics has hush_chain_loads_total for ${chain} chains`);
    return Number(m[1]);
  };
  return { principal: read('principal'), team: read('team') };
}

for (const kind of await dialects()) {
  describe(`chain cache under a burst (${kind})`, () => {
    const storage = new Storage(kind);
    let server: ServerProcess | undefined;
    after(async () => {
      await server?.stop();
      await storage.destroy();
    });

    it('verifies each chain once for a burst of requests that all miss the cache', async () => {
      server = await spawnServer(storage, ARGS);
      const alice = await TestClient.create(server.url);
      const bob = await TestClient.create(server.url);
      const carol = await TestClient.create(server.url);
      const team = await TestTeam.create(alice);
      assert.equal((await team.add(alice, bob)).status, 200);
      // Both write, so each request needs its author's chain as well as the team's.
      let sets = 0;
      const seal = async () => [
        ...(await sealWrites(alice, team, BURST / 2, `A${++sets}`)),
        ...(await sealWrites(bob, team, BURST / 2, `B${sets}`)),
      ];
      const first = await seal();

      // A restart empties the cache: the burst needs the team chain and both principals.
      await server.stop();
      server = await spawnServer(storage, ARGS);
      const url = server.url;
      const writers = [reconnect(alice, url), reconnect(bob, url)];
      // seal() puts alice's writes first, then bob's.
      const byAuthor = (ws: Write[]) =>
        ws.map((w, i) => ({ w, c: writers[i < BURST / 2 ? 0 : 1] as TestClient }));
      assert.deepEqual(await chainLoads(url), { principal: 0, team: 0 });
      /** PUTs every write at once, each by its author; all must be stored. */
      const run = async (ws: Write[]) => {
        const outcomes = await pool(byAuthor(ws), ws.length, ({ w, c }) => put(c, team.id, w));
        for (const o of outcomes) assert.ok(o.acked && o.status === 201, JSON.stringify(o));
      };
      await run(first);
      assert.deepEqual(await chainLoads(url), { principal: 2, team: 1 }, 'one load per chain');

      // A member joins: the team chain grows and names a principal the cache has not seen.
      assert.equal((await team.add(writers[0] as TestClient, carol)).status, 200);
      const afterAppend = await chainLoads(url);
      await run(await seal());
      const now = await chainLoads(url);
      assert.equal(now.team - afterAppend.team, 1, 'the grown team chain is loaded once');
      assert.equal(
        now.principal - afterAppend.principal,
        1,
        "only the newcomer's chain is loaded (once): the others' cached chains are reused",
      );
    });
  });
}
