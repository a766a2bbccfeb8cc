/**
 * Scale-out: two real server processes on ONE PostgreSQL database. A client connected to
 * one receives pushes for writes made through the other, over PostgreSQL LISTEN/NOTIFY and,
 * with NATS_URL set on both, over NATS. The heartbeat (which also re-reads the log) is set
 * far beyond the test's length, so only the fan-out bus can deliver these events.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TestClient } from './client.js';
import { postgresAvailable, spawnServer, Storage, type ServerProcess } from './harness.js';
import { json, SseClient } from './sse.js';
import { TestTeam } from './teams-fixture.js';

const NATS_URL = process.env.HUSH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const NO_HEARTBEAT = { HUSH_SSE_HEARTBEAT_MS: '600000' };

async function natsAvailable(): Promise<boolean> {
  const u = new URL(NATS_URL);
  const up = await new Promise<boolean>((resolve) => {
    const s = tcpConnect({ host: u.hostname, port: Number(u.port || 4222) });
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.end(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (!up) {
    if (process.env.CI === 'true') throw new Error(`NATS is required under CI=true: ${NATS_URL}`);
    console.error(`\n!!! SKIPPING the NATS scale-out test: ${NATS_URL} does not answer !!!\n`);
  }
  return up;
}

/** Opens a stream for `c` on `url` and waits for its `ready` event. */
async function listen(url: string, c: TestClient): Promise<SseClient> {
  const s = await SseClient.open(url, { token: c.accessToken });
  assert.equal(s.status, 200, JSON.stringify(s.error));
  await s.waitFor((e) => e.event === 'ready');
  return s;
}

/** Client `c` again, signed in on another server (tokens live in the shared database). */
async function on(url: string, c: TestClient): Promise<TestClient> {
  const other = new TestClient(url, c.device);
  other.state = c.state;
  assert.equal((await other.signIn()).status, 200);
  return other;
}

async function rename(team: TestTeam, by: TestClient): Promise<number> {
  const l = await team.link(by, { type: 'rename', nameCt: new Uint8Array(40) });
  assert.equal((await team.send(by, [l.bytes])).status, 200);
  return team.state.seq;
}

const pgUp = await postgresAvailable();
const variants: { name: string; env: Record<string, string> }[] = [];
if (pgUp) variants.push({ name: 'PostgreSQL LISTEN/NOTIFY', env: NO_HEARTBEAT });
if (pgUp && (await natsAvailable()))
  variants.push({ name: 'NATS', env: { ...NO_HEARTBEAT, NATS_URL } });

for (const v of variants) {
  describe(
    `scale-out: two processes on one PostgreSQL, fan-out over ${v.name}`,
    { timeout: 60_000 },
    () => {
      const storage = new Storage('postgres');
      let a: ServerProcess;
      let b: ServerProcess;
      const streams: SseClient[] = [];
      before(async () => {
        a = await spawnServer(storage, [], v.env);
        b = await spawnServer(storage, [], v.env);
      });
      after(async () => {
        for (const s of streams) s.close();
        await Promise.all([a.stop(), b.stop()]);
        await storage.destroy();
      });

      it('a client on one process receives events written through the other, both ways', async () => {
        const aliceB = await TestClient.create(b.url);
        const bobA = await TestClient.create(a.url);
        const team = await TestTeam.create(aliceB);
        assert.equal((await team.add(aliceB, bobA)).status, 200);
        const onA = await listen(a.url, bobA);
        streams.push(onA);
        const seq = await rename(team, aliceB);
        const got = await onA.waitFor((e) => e.event === 'team.link' && json(e).seq === seq);
        assert.equal(json(got).team, team.id);

        const bobB = await on(b.url, bobA);
        const aliceA = await on(a.url, aliceB);
        team.members.set(aliceA.id, aliceA);
        const onB = await listen(b.url, bobB);
        streams.push(onB);
        const seq2 = await rename(team, aliceA);
        await onB.waitFor((e) => e.event === 'team.link' && json(e).seq === seq2);
        await onA.waitFor((e) => e.event === 'team.link' && json(e).seq === seq2);
      });

      if (v.name.startsWith('PostgreSQL'))
        it('keeps fanning out after the LISTEN connections are killed', async () => {
          const admin = new pg.Client({
            connectionString: (await storage.env()).DATABASE_URL,
          });
          await admin.connect();
          try {
            const listeners = async () =>
              (
                await admin.query<{ pid: number }>(
                  `select pid from pg_stat_activity where datname = current_database() and application_name = 'hush-push'`,
                )
              ).rows.map((r) => r.pid);
            const before = await listeners();
            assert.equal(before.length, 2, 'one listener per process');
            await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [
              before,
            ]);
            for (let i = 0; ; i++) {
              const now = await listeners();
              if (now.length === 2 && now.every((p) => !before.includes(p))) break;
              assert.ok(i < 200, 'both processes listen again');
              await new Promise((r) => setTimeout(r, 50));
            }
            const aliceB = await TestClient.create(b.url);
            const bobA = await TestClient.create(a.url);
            const team = await TestTeam.create(aliceB);
            await team.add(aliceB, bobA);
            const onA = await listen(a.url, bobA);
            streams.push(onA);
            const seq = await rename(team, aliceB);
            await onA.waitFor((e) => e.event === 'team.link' && json(e).seq === seq);
          } finally {
            await admin.end();
          }
        });
    },
  );
}
