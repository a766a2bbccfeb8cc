/**
 * PostgreSQL restarted under load (docs/API.md "Database outages"): a private cluster is
 * stopped in `immediate` mode (a crash: backends killed, no checkpoint) while writers keep
 * PUTting team objects, then started again. While it is down every answer is a coded 503
 * HUSH_ERR_UNAVAILABLE, `/healthz` stays 200 and `/readyz` is 503; afterwards the relay
 * serves again without a restart of its own, and every write, each retried with the same
 * id and bytes until it is acknowledged, is stored exactly once with its exact bytes.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { TestClient } from './client.js';
import { spawnServer, type ServerProcess, type Storage } from './harness.js';
import { checkCounters, checkListing, listAll, pool, put, sealWrites } from './object-writes.js';
import { PrivatePostgres, privatePostgresMissing } from './private-postgres.js';
import { TestTeam } from './teams-fixture.js';

const WRITES = 200;
const CONCURRENCY = 8;
/** PostgreSQL goes down once this many writes were acknowledged. */
const STOP_AFTER = 40;
/** It comes back once the writers have been answered this many 503s. */
const DOWN_ANSWERS = 30;
/** Every write is acknowledged within this (a liveness deadline, not a speed target). */
const DEADLINE_MS = 120_000;

const missing = privatePostgresMissing();
if (missing) {
  if (process.env.CI === 'true')
    throw new Error(`a private PostgreSQL is required under CI=true: ${missing}`);
  console.error(`\n!!! SKIPPING the PostgreSQL restart suite: ${missing} !!!\n`);
}

async function get(url: string): Promise<{ status: number; code: string | undefined }> {
  const r = await fetch(url);
  const body = (await r.json().catch(() => ({}))) as { error?: { code?: string } };
  return { status: r.status, code: body.error?.code };
}

describe('PostgreSQL restarted under load', { skip: missing !== undefined }, () => {
  let cluster: PrivatePostgres;
  let storage: Storage;
  let server: ServerProcess;
  before(async () => {
    cluster = await PrivatePostgres.create();
    storage = await cluster.storage();
    server = await spawnServer(storage, ['--rate-limit', '100000']);
  });
  after(async () => {
    await server?.stop();
    await storage?.destroy();
    await cluster?.destroy();
  });

  it('answers coded 503s while it is down, recovers by itself, and loses no acknowledged write', async () => {
    const alice = await TestClient.create(server.url);
    const team = await TestTeam.create(alice);
    const writes = await sealWrites(alice, team, WRITES);
    const byId = new Map(writes.map((w) => [w.objectId, w]));
    const start = Date.now();

    let acks = 0;
    let downAnswers = 0;
    let phase: 'up' | 'down' | 'back' = 'up';
    const otherAnswers: string[] = [];
    let outage: Promise<void> | undefined;

    // While PostgreSQL is down: the probes, then it comes back.
    const takeDown = async () => {
      await cluster.stop('immediate');
      phase = 'down';
      try {
        assert.equal((await get(`${server.url}/healthz`)).status, 200);
        assert.deepEqual(await get(`${server.url}/readyz`), {
          status: 503,
          code: 'HUSH_ERR_UNAVAILABLE',
        });
        const list = await alice.request('GET', '/v1/teams');
        assert.equal(list.status, 503);
        assert.equal(list.body.error?.code, 'HUSH_ERR_UNAVAILABLE');
        while (downAnswers < DOWN_ANSWERS && Date.now() - start < DEADLINE_MS) await sleep(20);
      } finally {
        phase = 'back';
        await cluster.start();
      }
    };

    const acked = await pool(writes, CONCURRENCY, async (w) => {
      for (;;) {
        assert.ok(Date.now() - start < DEADLINE_MS, `write ${w.objectId} acknowledged in time`);
        const o = await put(alice, team.id, w);
        if (o.acked) {
          if (++acks === STOP_AFTER) outage = takeDown();
          return o.seq;
        }
        if (/^503 .*HUSH_ERR_UNAVAILABLE/.test(o.error)) {
          if (phase === 'down') downAnswers++;
          await sleep(25);
          continue;
        }
        otherAnswers.push(`${phase}: ${o.error}`);
        await sleep(25);
      }
    });
    await outage;
    assert.ok(outage, 'PostgreSQL was stopped during the writes');
    assert.deepEqual(otherAnswers, [], 'every refusal was a coded 503');
    assert.ok(downAnswers >= DOWN_ANSWERS, 'writers were answered while the database was down');

    // The relay came back by itself: ready again, same process, every write stored once.
    let ready = 0;
    while (ready !== 200 && Date.now() - start < DEADLINE_MS) {
      ready = (await get(`${server.url}/readyz`)).status;
      if (ready !== 200) await sleep(50);
    }
    assert.equal(ready, 200);
    assert.equal(server.proc.exitCode, null, 'the relay process kept running');
    const listed = checkListing(await listAll(alice, team.id), byId);
    assert.equal(listed.size, WRITES, 'every write is stored exactly once');
    writes.forEach((w, i) =>
      assert.equal(listed.get(w.objectId)?.seq, acked[i], 'with the seq it was acknowledged with'),
    );
    await checkCounters(storage, team.id, [...listed.values()]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /hush_db_errors_total\{kind="unavailable"\} [1-9]/);
  });
});
