/**
 * Push scenarios shared by the SSE suites (events.test.ts runs them against a server with
 * the default shared window and against one whose window holds a single event, so both
 * the in-memory and the database read paths are exercised). "Exactly the missed events"
 * is checked against an oracle: a second connection that stayed open the whole time.
 */
import assert from 'node:assert/strict';
import { TestClient } from './client.js';
import { json, SseClient, type SseEvent } from './sse.js';
import { TestTeam } from './teams-fixture.js';

/** What a scenario needs: the current server URL and a way to close streams at the end. */
export interface PushEnv {
  url(): string;
  track(s: SseClient): SseClient;
}

/** Opens a stream for `c` and waits for its `ready` event. */
export async function connect(
  env: PushEnv,
  c: TestClient,
  opts: { lastEventId?: string | number | undefined; query?: string } = {},
): Promise<SseClient> {
  const s = env.track(await SseClient.open(env.url(), { token: c.accessToken, ...opts }));
  assert.equal(s.status, 200, JSON.stringify(s.error));
  await s.waitFor((e) => e.event === 'ready', undefined, 'ready');
  return s;
}

/** A team append (the owner renames the team): one 'team.link' event for the team. */
export async function rename(team: TestTeam, by: TestClient): Promise<number> {
  const l = await team.link(by, { type: 'rename', nameCt: new Uint8Array(40) });
  const r = await team.send(by, [l.bytes]);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return team.state.seq;
}

/** A principal append (add a device): 'principal.link' for the principal and each team. */
export async function addDevice(c: TestClient): Promise<void> {
  await c.linkDevice();
}

export const isLink = (team: TestTeam, seq: number) => (e: SseEvent) =>
  e.event === 'team.link' && json(e).team === team.id && json(e).seq === seq;

/** Ids strictly increase: no duplicate, no reordering. */
export function assertIncreasing(events: readonly SseEvent[]): void {
  const ids = events.map((e) => Number(e.id));
  for (let i = 1; i < ids.length; i++)
    assert.ok((ids[i] as number) > (ids[i - 1] as number), `ids increase: ${ids.join(',')}`);
}

export const summary = (events: readonly SseEvent[]) =>
  events.map((e) => `${e.id} ${e.event} ${e.data}`);

/** The events an oracle saw after `id` (without ready/shutdown). */
export const after = (oracle: SseClient, id: string | undefined) =>
  oracle.events.filter(
    (e) => !['ready', 'shutdown'].includes(e.event) && Number(e.id) > Number(id),
  );

export async function membersOnly(env: PushEnv): Promise<void> {
  const alice = await TestClient.create(env.url());
  const bob = await TestClient.create(env.url());
  const carol = await TestClient.create(env.url());
  const team = await TestTeam.create(alice);
  assert.equal((await team.add(alice, bob)).status, 200);
  const bobS = await connect(env, bob);
  const carolS = await connect(env, carol);
  const seq = await rename(team, alice);
  const link = await bobS.waitFor(isLink(team, seq));
  assert.ok(Number(link.id) > 0);
  await addDevice(alice);
  const pl = await bobS.waitFor((e) => e.event === 'principal.link');
  assert.equal(json(pl).principal, alice.id, "a member hears of another member's chain");
  // Carol's own write comes after Alice's in the log: had she been sent Alice's events,
  // they would arrive first.
  const own = await TestTeam.create(carol);
  const first = await carolS.waitFor(() => true);
  assert.equal(first.event, 'team.joined');
  assert.equal(json(first).team, own.id);
  assert.ok(Number(first.id) > Number(pl.id));
  assert.deepEqual(carolS.pending, []);
  assertIncreasing(bobS.events.slice(1));
}

export async function followsMembership(env: PushEnv): Promise<void> {
  const alice = await TestClient.create(env.url());
  const dave = await TestClient.create(env.url());
  const team = await TestTeam.create(alice);
  const s = await connect(env, dave);
  assert.equal((await team.add(alice, dave)).status, 200);
  const joined = await s.waitFor((e) => e.event === 'team.joined');
  assert.equal(json(joined).team, team.id);
  const seq = await rename(team, alice);
  await s.waitFor(isLink(team, seq));
  assert.equal((await team.remove(alice, dave)).status, 200);
  const left = await s.waitFor((e) => e.event === 'team.left');
  assert.equal(json(left).team, team.id);
  await rename(team, alice);
  await addDevice(alice);
  const own = await TestTeam.create(dave);
  const next = await s.waitFor(() => true);
  assert.equal(next.event, 'team.joined', 'nothing of the old team after leaving it');
  assert.equal(json(next).team, own.id);
  assertIncreasing(s.events.slice(1));
}

export async function resumesExactly(env: PushEnv): Promise<void> {
  const alice = await TestClient.create(env.url());
  const bob = await TestClient.create(env.url());
  const team = await TestTeam.create(alice);
  await team.add(alice, bob);
  const oracle = await connect(env, bob);
  const first = await connect(env, bob);
  const seq0 = await rename(team, alice);
  const seen = await first.waitFor(isLink(team, seq0));
  await oracle.waitFor(isLink(team, seq0));
  first.close();
  await rename(team, alice);
  await addDevice(alice);
  await rename(team, alice);
  await rename(team, alice);
  const last = await rename(team, alice);
  await oracle.waitFor(isLink(team, last));
  const missed = after(oracle, seen.id);
  assert.equal(missed.length, 5);
  assertIncreasing(missed);
  for (const opts of [{ lastEventId: seen.id }, { query: `since=${seen.id}` }]) {
    const again = await connect(env, bob, opts);
    await again.waitFor(isLink(team, last));
    assert.deepEqual(summary(again.events.slice(1)), summary(missed));
    assert.equal(again.lastEventId, missed.at(-1)?.id);
    again.close();
  }
  // The header is the newer cursor: it wins over ?since=.
  const both = await connect(env, bob, { lastEventId: missed.at(-2)?.id, query: 'since=0' });
  assert.deepEqual(summary(await both.take(1)), summary(missed.slice(-1)));
  both.close();
}

/**
 * Resuming from a cursor replays the scope as it was then: events of a team left after the
 * cursor up to the leave, and of a team joined after it only from the join.
 */
export async function resumesAcrossMembership(env: PushEnv): Promise<void> {
  const alice = await TestClient.create(env.url());
  const dave = await TestClient.create(env.url());
  const t1 = await TestTeam.create(alice, 'one');
  const t2 = await TestTeam.create(alice, 'two');
  await t1.add(alice, dave);
  const oracle = await connect(env, dave);
  const cursor = oracle.lastEventId;
  const a = await rename(t1, alice);
  await rename(t2, alice);
  await t2.add(alice, dave);
  const c = await rename(t2, alice);
  assert.equal((await t1.remove(alice, dave)).status, 200);
  const removal = t1.state.seq;
  await rename(t1, alice);
  const own = await TestTeam.create(dave);
  const sentinel = await oracle.waitFor(
    (e) => e.event === 'team.joined' && json(e).team === own.id,
  );
  const seen = after(oracle, cursor);
  const expect = [
    ['team.link', t1.id, a],
    ['team.joined', t2.id, undefined],
    ['team.link', t2.id, c],
    ['team.link', t1.id, removal],
    ['team.left', t1.id, undefined],
    ['team.joined', own.id, undefined],
  ];
  assert.deepEqual(
    seen.map((e) => [e.event, json(e).team, json(e).seq]),
    expect,
  );
  const again = await connect(env, dave, { lastEventId: cursor });
  await again.waitFor((e) => e.id === sentinel.id);
  assert.deepEqual(summary(again.events.slice(1)), summary(seen));
  again.close();
}
