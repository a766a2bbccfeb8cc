/**
 * The push hub's shortcut for this process's own commits (PushHub.committed): rows that
 * continue the window directly are appended without reading the log, and anything else
 * (a commit the hub has not seen yet, such as another process's, before them) leaves the
 * window alone until the notice makes the hub read the log, so the window always holds
 * every committed event between its floor and top. On a real SQLite database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig, type ServerConfig } from '../src/config.js';
import type { Context } from '../src/context.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { announceCommitted, PushHub } from '../src/push/hub.js';
import { LocalBus } from '../src/push/local-bus.js';
import type { EventStream } from '../src/push/stream.js';
import { appendEventRows, type NewEvent } from '../src/store/events.js';

const TEAM = 'team-under-test';

/** Polls `cond` (bounded: 5 s). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !cond(); i++) await sleep(20);
  assert.ok(cond(), 'condition never held');
}

describe('push hub: appending this process’s commits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-push-'));
  let store: Db;
  let bus: LocalBus;
  let hub: PushHub;
  let woken = 0;

  const commit = (n: number) =>
    store.db.transaction().execute((trx) =>
      appendEventRows(
        trx,
        'sqlite',
        Array.from({ length: n }, (_, i): NewEvent => ({
          teamId: TEAM,
          type: 'object',
          data: { team: TEAM, seq: i },
        })),
      ),
    );
  /** The ids the window holds, in order. */
  const ids = () => {
    const out: number[] = [];
    for (let i = hub.ring.indexAfter(hub.ring.floor); i < hub.ring.end; i++)
      out.push(hub.ring.at(i).id);
    return out;
  };

  before(async () => {
    const config = parseConfig(['--data-dir', dir, '--log-level', 'silent'], {}) as ServerConfig;
    store = await openDatabase(config);
    bus = new LocalBus();
    hub = new PushHub(
      { store, bus } as unknown as Context,
      { error: () => {} },
      {
        heartbeatMs: 60_000,
      },
    );
    await commit(2); // events from before the hub had a listener
    const stream = {
      principalId: 'p',
      teams: new Set([TEAM]),
      wake: () => woken++,
      end: () => {},
    } as unknown as EventStream;
    hub.add(stream);
    hub.retag(stream, [TEAM], []);
    await until(() => hub.ring.top === 2);
  });
  after(async () => {
    hub.close();
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends rows that continue the window, and wakes the streams they concern', async () => {
    const before = woken;
    announceCommitted(store.db, await commit(3));
    assert.equal(hub.ring.top, 5);
    assert.deepEqual(ids(), [3, 4, 5]);
    assert.ok(woken > before);
  });

  it('leaves the window alone after a commit it has not seen, until the log is read', async () => {
    await commit(1); // id 6: committed, not announced (another process, another route)
    const mine = await commit(2); // ids 7 and 8
    announceCommitted(store.db, mine);
    assert.equal(hub.ring.top, 5, 'a gap before them: not appended');
    bus.publish([{ id: 8, teamId: TEAM, principalId: null }]);
    await until(() => hub.ring.top === 8);
    assert.deepEqual(ids(), [3, 4, 5, 6, 7, 8]);
  });

  it('ignores rows of another database', async () => {
    const other = mkdtempSync(join(tmpdir(), 'hush-push-other-'));
    const config = parseConfig(['--data-dir', other, '--log-level', 'silent'], {}) as ServerConfig;
    const elsewhere = await openDatabase(config);
    try {
      const rows = await elsewhere.db
        .transaction()
        .execute((trx) => appendEventRows(trx, 'sqlite', [{ teamId: TEAM, type: 'x', data: {} }]));
      announceCommitted(elsewhere.db, [{ ...(rows[0] as (typeof rows)[0]), id: 9 }]);
      assert.equal(hub.ring.top, 8);
    } finally {
      await elsewhere.close();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
