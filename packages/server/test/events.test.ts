/**
 * Push over SSE against the real server process, on SQLite and PostgreSQL: scope (members
 * hear team events, others do not), membership changes while connected, exact resume with
 * `Last-Event-ID` / `?since=` (also across membership changes and a restart), heartbeats,
 * revocation, and a clean shutdown while a client is connected. The shared scenarios run
 * twice: with the default in-memory window, and with a one-event window so connections
 * read from the database.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateDevice, principalLink, toBase64url } from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { TestClient } from './client.js';
import {
  addDevice,
  after as seenAfter,
  assertIncreasing,
  connect,
  followsMembership,
  isLink,
  membersOnly,
  rename,
  resumesAcrossMembership,
  resumesExactly,
  summary,
  type PushEnv,
} from './events-scenarios.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { json, SseClient, type SseEvent } from './sse.js';
import { TestTeam } from './teams-fixture.js';

/** Sets a token's expiry directly in the server's database. */
async function setTokenExpiry(storage: Storage, token: string, at: number): Promise<void> {
  const hash = createHash('sha256').update(token).digest('base64url');
  if (storage.kind === 'sqlite') {
    const db = new SQLite(join(storage.dataDir, 'hush.db'));
    try {
      db.pragma('busy_timeout = 5000');
      db.prepare('update tokens set expires_at = ? where hash = ?').run(at, hash);
    } finally {
      db.close();
    }
    return;
  }
  const c = new pg.Client({ connectionString: (await storage.env()).DATABASE_URL });
  await c.connect();
  try {
    await c.query('update tokens set expires_at = $1 where hash = $2', [at, hash]);
  } finally {
    await c.end();
  }
}

const SHARED = {
  'delivers team and principal events to members only': membersOnly,
  'follows membership changes while connected': followsMembership,
  'resumes with Last-Event-ID or ?since= with exactly the missed events': resumesExactly,
  'resumes across membership changes with the scope as it was': resumesAcrossMembership,
};

/** Starts a server for a describe block; returns the env and a getter for the process. */
function serverFor(storage: Storage, env: Record<string, string>) {
  const state: { server?: ServerProcess; open: SseClient[] } = { open: [] };
  const push: PushEnv = {
    url: () => (state.server as ServerProcess).url,
    track: (s) => (state.open.push(s), s),
  };
  before(async () => {
    state.server = await spawnServer(storage, [], env);
  });
  after(async () => {
    for (const s of state.open) s.close();
    await state.server?.stop();
    await storage.destroy();
  });
  return { push, state };
}

for (const kind of await dialects()) {
  describe(`push over SSE (${kind})`, { timeout: 120_000 }, () => {
    const storage = new Storage(kind);
    const env = { HUSH_SSE_HEARTBEAT_MS: '300' };
    const { push, state } = serverFor(storage, env);

    it('needs a token and a valid cursor; answers text/event-stream starting with ready', async () => {
      const alice = await TestClient.create(push.url());
      const anon = await SseClient.open(push.url());
      assert.equal(anon.status, 401);
      assert.equal(anon.error?.code, 'HUSH_ERR_UNAUTHENTICATED');
      for (const bad of ['abc', '-1', '1.5', '99999999999999999']) {
        const s = await SseClient.open(push.url(), { token: alice.accessToken, lastEventId: bad });
        assert.equal(s.status, 400, bad);
        assert.equal(s.error?.code, 'HUSH_ERR_BAD_REQUEST');
      }
      const ahead = await SseClient.open(push.url(), {
        token: alice.accessToken,
        query: 'since=900000000',
      });
      assert.equal(ahead.error?.code, 'HUSH_ERR_BAD_REQUEST', 'a cursor ahead of the log');
      const s = await connect(push, alice);
      assert.match(s.headers.get('content-type') ?? '', /^text\/event-stream/);
      const ready = s.events[0] as SseEvent;
      assert.equal(ready.event, 'ready');
      assert.equal(ready.id, String(json(ready).cursor));
      s.close();
    });

    for (const [name, scenario] of Object.entries(SHARED)) it(name, () => scenario(push));

    it('sends heartbeat comments', async () => {
      const alice = await TestClient.create(push.url());
      const s = await connect(push, alice);
      assert.equal(await s.waitForComment((c) => c === 'ping'), 'ping');
      s.close();
    });

    it("ends a revoked device's stream", async () => {
      const alice = await TestClient.create(push.url());
      const laptop = await generateDevice(b);
      const add = await principalLink(
        b,
        alice.state,
        alice.device,
        { type: 'add-device', sigPk: laptop.sigPk, kemPk: laptop.kemPk },
        { second: laptop.sigSeed },
      );
      await alice.request('POST', `/v1/principals/${alice.id}/links`, {
        links: [toBase64url(add.bytes)],
      });
      await alice.state.apply(b, add.bytes);
      const lap = new TestClient(push.url(), laptop);
      lap.state = alice.state;
      assert.equal((await lap.signIn()).status, 200);
      const s = await connect(push, lap);
      const revoke = await principalLink(b, alice.state, alice.device, {
        type: 'revoke-device',
        deviceId: laptop.id,
      });
      const r = await alice.request('POST', `/v1/principals/${alice.id}/links`, {
        links: [toBase64url(revoke.bytes)],
      });
      assert.equal(r.status, 200);
      await s.waitFor((e) => e.event === 'revoked');
      await s.waitForEnd();
      const again = await SseClient.open(push.url(), { token: lap.accessToken });
      assert.equal(again.error?.code, 'HUSH_ERR_DEVICE_REVOKED');
    });

    it('ends the stream when its access token expires', async () => {
      const alice = await TestClient.create(push.url());
      // Shorten this token's life in the database; the stream learns it at connect time.
      await setTokenExpiry(storage, alice.accessToken as string, Date.now() + 1500);
      const s = await connect(push, alice);
      await s.waitFor((e) => e.event === 'expired');
      await s.waitForEnd();
    });

    it('closes streams cleanly on shutdown and resumes exactly after a restart', async () => {
      const alice = await TestClient.create(push.url());
      const bob = await TestClient.create(push.url());
      const team = await TestTeam.create(alice);
      await team.add(alice, bob);
      const oracle = await connect(push, bob);
      const first = await connect(push, bob);
      const seq0 = await rename(team, alice);
      const seen = await first.waitFor(isLink(team, seq0));
      first.close();
      await rename(team, alice);
      await addDevice(alice);
      const last = await rename(team, alice);
      await oracle.waitFor(isLink(team, last));

      assert.equal(await state.server?.stop(), 0, 'graceful exit with a client connected');
      await oracle.waitFor((e) => e.event === 'shutdown');
      await oracle.waitForEnd();
      state.server = await spawnServer(storage, [], env);

      const missed = seenAfter(oracle, seen.id);
      assert.equal(missed.length, 3);
      const resumed = await SseClient.open(push.url(), {
        token: bob.accessToken,
        lastEventId: seen.id,
      });
      push.track(resumed);
      assert.equal(resumed.status, 200);
      // Alice signs in again on the restarted server (its port changed).
      const alice2 = new TestClient(push.url(), alice.device);
      alice2.state = alice.state;
      await alice2.signIn();
      team.members.set(alice2.id, alice2);
      const next = await rename(team, alice2);
      await resumed.waitFor(isLink(team, next));
      const got = resumed.events.filter((e) => e.event !== 'ready');
      assert.deepEqual(summary(got.slice(0, -1)), summary(missed));
      assertIncreasing(got);
    });
  });

  describe(`push over SSE, database read path (${kind})`, { timeout: 120_000 }, () => {
    const { push } = serverFor(new Storage(kind), { HUSH_SSE_WINDOW_EVENTS: '1' });
    for (const [name, scenario] of Object.entries(SHARED)) it(name, () => scenario(push));
  });
}
