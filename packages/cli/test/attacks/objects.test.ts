/**
 * Attack classes 3, 5, 6, 7 and 12 through the real binary: a relay that alters, renames,
 * moves, re-dates, un-deletes, injects, swaps or downgrades team objects (messages, kv
 * entries, secrets, file manifests) on their way to bob.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  COLLECTION,
  encodeMessageBody,
  fromBase64url,
  sealTeamEnvelope,
  toBase64url,
} from '@hush/core';
import { cleanup, hush, tempDir } from '../helpers.js';
import {
  AT,
  b,
  ciphertextAt,
  flipBit,
  HEADER_AT,
  headerOf,
  identityOf,
  teamKeyOf,
  teamStateOf,
} from './forge.js';
import { attackScene, honestly, noFile, ok, pendingObjects, refused, type Row } from './scene.js';

type Page = { objects: Row[]; next: number };

describe('attack classes 3, 5, 6, 7, 12: objects', () => {
  const s = attackScene();
  const T = ['--team', 'core'];
  let sideId = '';
  const objectsPath = () => `/v1/teams/${s.teamId}/objects`;

  /** Serves bob's object pages of core rewritten by `f`. */
  const rewrite = (f: (rows: Row[]) => Row[], path = objectsPath()) => {
    s.proxy.tamper = (m, p, body) =>
      m === 'GET' && p === path
        ? { ...(body as Page), objects: f((body as Page).objects) }
        : undefined;
  };
  /** Serves the row whose envelope is `envelope` with `edit` applied. */
  const edit = (envelope: string, f: (r: Row) => Row) =>
    rewrite((rows) => rows.map((r) => (r.envelope === envelope ? f(r) : r)));

  const inboxTexts = async () =>
    (
      JSON.parse(ok(await hush(s.bob, ['inbox', '--json']), 'inbox').stdout) as { text: string }[]
    ).map((m) => m.text);

  before(async () => {
    // bob is in a second team, "side", for ciphertexts moved between teams.
    sideId = ok(await hush(s.alice, ['team', 'create', 'side']), 'side').stdout.trim();
    const token = ok(await hush(s.alice, ['team', 'invite', 'side']), 'invite').stdout.trim();
    ok(await hush(s.bob, ['join', token]), 'bob joins side');
  });

  it('class 3: one flipped bit of a ciphertext, header, signature or encoding is refused (exit 5)', async () => {
    const text = 'flip any bit of me';
    ok(await hush(s.alice, ['send', 'core', text]), 'send');
    ok(await hush(s.alice, ['kv', 'set', ...T, 'flip/kv', '"flip-kv-value"']), 'kv set');
    const [msg, kv] = (await pendingObjects(s, s.bob, s.teamId)).map((r) => r.envelope) as [
      string,
      string,
    ];
    const bad = /team object \S+ does not verify/;
    const flips = [
      flipBit(msg, ciphertextAt(msg) + 9), // the ciphertext
      flipBit(msg, HEADER_AT + 40), // the header: the author
      flipBit(msg, ciphertextAt(msg) - 4 - 40), // the header: the key salt
      flipBit(msg, -1, 7), // the signature
    ];
    const refusals = [];
    for (const flipped of flips) {
      edit(msg, (r) => ({ ...r, envelope: flipped }));
      refusals.push(await refused(s.bob, ['inbox'], bad, { secrets: [text] }));
    }
    // The encoding: base64url that is not canonical (a trailing character).
    edit(msg, (r) => ({ ...r, envelope: `${msg}A` }));
    refusals.push(await refused(s.bob, ['inbox'], bad));
    // A kv entry read through its own command.
    edit(kv, (r) => ({ ...r, envelope: flipBit(kv, ciphertextAt(kv) + 3) }));
    refusals.push(
      await refused(s.bob, ['kv', 'get', ...T, 'flip/kv'], bad, { secrets: ['flip-kv-value'] }),
    );
    s.honest();
    await honestly(s.bob, ['kv', 'get', ...T, 'flip/kv'], refusals);
    assert.ok((await inboxTexts()).includes(text));
  });

  it('class 5: a renamed, moved, re-dated or un-deleted object is refused (exit 5)', async () => {
    ok(await hush(s.alice, ['kv', 'set', ...T, 'name/a', '"value-a"']), 'a');
    ok(await hush(s.alice, ['kv', 'set', ...T, 'name/b', '"value-b"']), 'b');
    writeFileSync(join(s.work, 'one.txt'), 'file one\n');
    writeFileSync(join(s.work, 'two.txt'), 'file two\n');
    ok(
      await hush(s.alice, ['file', 'put', ...T, join(s.work, 'one.txt'), join(s.work, 'two.txt')]),
      'put',
    );
    const when = 'a message whose time is signed';
    ok(await hush(s.alice, ['send', 'core', when]), 'send');
    const [a, bb, f1, f2, msg] = (await pendingObjects(s, s.bob, s.teamId)) as [
      Row,
      Row,
      Row,
      Row,
      Row,
    ];
    const bad = /team object \S+ does not verify/;
    const out: Awaited<ReturnType<typeof refused>>[] = [];

    // Renamed: kv entry a served under b's name (blind index).
    edit(a.envelope, (r) => ({ ...r, blindIndex: bb.blindIndex }));
    out.push(await refused(s.bob, ['kv', 'get', ...T, 'name/a'], bad, { secrets: ['value-a'] }));
    // Moved: entry a served under another object id; two file manifests served as each other.
    edit(a.envelope, (r) => ({ ...r, objectId: toBase64url(b.randomBytes(16)) }));
    out.push(await refused(s.bob, ['kv', 'list', ...T], bad));
    rewrite((rows) =>
      rows.map((r) =>
        r.objectId === f1.objectId
          ? { ...r, objectId: f2.objectId }
          : r.objectId === f2.objectId
            ? { ...r, objectId: f1.objectId }
            : r,
      ),
    );
    out.push(await refused(s.bob, ['file', 'list', ...T], bad));
    // Re-dated: the message's claimed time moved by one bit (a second earlier or later).
    edit(msg.envelope, (r) => ({
      ...r,
      envelope: flipBit(msg.envelope, HEADER_AT + AT.createdAt + 6, 2),
    }));
    out.push(await refused(s.bob, ['inbox'], bad, { secrets: [when] }));
    s.honest();
    await honestly(s.bob, ['kv', 'list', ...T], out);
    assert.ok((await inboxTexts()).includes(when));

    // Un-deleted: alice deletes a; the relay serves the live version 1 again as version 2.
    ok(await hush(s.alice, ['kv', 'rm', ...T, 'name/a']), 'rm');
    const [tomb] = (await pendingObjects(s, s.bob, s.teamId)) as [Row];
    assert.equal(headerOf(tomb.envelope).flags, 1, 'version 2 is a tombstone');
    edit(tomb.envelope, (r) => ({ ...r, envelope: a.envelope, tombstone: false }));
    const undeleted = await refused(s.bob, ['kv', 'get', ...T, 'name/a'], bad, {
      secrets: ['value-a'],
    });
    // Or it flips the tombstone flag of the signed header: the signature breaks.
    edit(tomb.envelope, (r) => ({
      ...r,
      envelope: flipBit(tomb.envelope, HEADER_AT + AT.flags),
      tombstone: false,
    }));
    const unflagged = await refused(s.bob, ['kv', 'get', ...T, 'name/a'], bad);
    // Only the row's own tombstone field cleared: not an attack that works. Readers go by the
    // signed header, so the key stays deleted (exit 6), and nothing is refused.
    edit(tomb.envelope, (r) => ({ ...r, tombstone: false }));
    const r = await hush(s.bob, ['kv', 'get', ...T, 'name/a']);
    assert.equal(r.code, 6, `the deleted key stays deleted: ${r.stderr}`);
    s.honest();
    const gone = await hush(s.bob, ['kv', 'get', ...T, 'name/a']);
    assert.equal(gone.code, 6, gone.stderr);
    await honestly(s.bob, ['kv', 'get', ...T, 'name/b'], [undeleted, unflagged]);
  });

  it('class 6: an object under the valid team key but signed by a non-member is refused (exit 5)', async () => {
    const mallory = tempDir('mallory');
    try {
      ok(await hush(mallory, ['init', '--name', 'mallory', '--server', s.server.url]), 'mallory');
      const m = identityOf(mallory);
      const team = await teamStateOf(s.alice, s.teamId);
      const generation = team.current.generation;
      // The hard case: the team key itself has leaked to mallory (and the relay).
      const key = teamKeyOf(s.alice, s.teamId, generation);
      const injected = 'please rotate the production database password now';
      const seal = (author: Uint8Array) =>
        sealTeamEnvelope(b, {
          teamId: fromBase64url(s.teamId),
          generation,
          chainSeq: team.seq,
          key,
          author,
          device: m.device,
          collection: COLLECTION.message,
          body: encodeMessageBody({
            type: 'notification',
            priority: 'urgent',
            topic: '',
            text: injected,
          }),
        });
      const byMallory = await seal(m.principalId);
      // Or claiming alice as the author, signed by mallory's device.
      const asAlice = await seal(fromBase64url(s.aliceId));
      ok(await hush(s.alice, ['send', 'core', 'a real message']), 'send');
      const inject = (envelope: Uint8Array) =>
        rewrite((rows) => {
          const last = rows[rows.length - 1];
          if (!last) return rows;
          const h = headerOf(toBase64url(envelope));
          return [
            ...rows,
            {
              seq: last.seq + 1,
              objectId: toBase64url(h.objectId),
              version: 1,
              collection: COLLECTION.message,
              blindIndex: null,
              tombstone: false,
              envelope: toBase64url(envelope),
            },
          ];
        });
      inject(byMallory.envelope);
      const nonMember = await refused(
        s.bob,
        ['inbox'],
        /team object \S+ does not verify: envelope author had no write right/,
        { secrets: [injected] },
      );
      inject(asAlice.envelope);
      const wrongDevice = await refused(s.bob, ['inbox'], /team object \S+ does not verify/, {
        secrets: [injected],
      });
      s.honest();
      await honestly(s.bob, ['inbox'], [nonMember, wrongDevice]);
      const texts = await inboxTexts();
      assert.ok(texts.includes('a real message') && !texts.includes(injected));
    } finally {
      s.honest();
      cleanup(mallory);
    }
  });

  it('class 7: a ciphertext moved to another secret name, version or team is refused (exit 5)', async () => {
    ok(await hush(s.alice, ['secrets', 'set', ...T, 'DB_PASSWORD=pw-of-the-db']), 'db');
    ok(await hush(s.alice, ['secrets', 'set', ...T, 'API_TOKEN=token-of-the-api']), 'api');
    const [db, api] = (await pendingObjects(s, s.bob, s.teamId)) as [Row, Row];
    const values = ['pw-of-the-db', 'token-of-the-api'];
    const bad = /team object \S+ does not verify/;
    const get = ['secrets', 'get', ...T, 'DB_PASSWORD'];
    // Swapped between names: each row keeps its name (blind index), the envelopes trade places.
    rewrite((rows) =>
      rows.map((r) =>
        r.objectId === db.objectId
          ? { ...r, envelope: api.envelope }
          : r.objectId === api.objectId
            ? { ...r, envelope: db.envelope }
            : r,
      ),
    );
    const names = await refused(s.bob, get, bad, { secrets: values });
    // A pull to a file writes no file at all.
    const pulled = join(s.work, 'pulled.env');
    const pull = await refused(s.bob, ['secrets', 'pull', ...T, '--out', pulled], bad, {
      secrets: values,
    });
    noFile(pulled);
    s.honest();
    ok(await hush(s.bob, get), 'bob verifies version 1');

    // Another version: version 1 served again as version 2.
    ok(await hush(s.alice, ['secrets', 'set', ...T, 'DB_PASSWORD=pw-of-the-db-2']), 'v2');
    const [v2] = (await pendingObjects(s, s.bob, s.teamId)) as [Row];
    edit(v2.envelope, (r) => ({ ...r, envelope: db.envelope }));
    const version = await refused(s.bob, get, bad, { secrets: [...values, 'pw-of-the-db-2'] });

    // Another team: a secret of "side" served in core, under its own row.
    ok(await hush(s.alice, ['secrets', 'set', '--team', 'side', 'DB_PASSWORD=pw-of-side']), 'side');
    const [fromSide] = (await pendingObjects(s, s.bob, sideId)) as [Row];
    edit(v2.envelope, (r) => ({ ...r, envelope: fromSide.envelope }));
    const team = await refused(
      s.bob,
      get,
      /team object \S+ does not verify: envelope belongs to another team/,
      {
        secrets: ['pw-of-side'],
      },
    );
    s.honest();
    const r = await honestly(s.bob, get, [names, pull, version, team]);
    assert.equal(r.stdout, 'pw-of-the-db-2\n');
    assert.equal(
      ok(await hush(s.bob, ['secrets', 'get', ...T, 'API_TOKEN']), 'api').stdout,
      'token-of-the-api\n',
    );
  });

  it('class 12: a rewritten protocol version or suite field is refused (exit 5)', async () => {
    const text = 'version one, suite one';
    ok(await hush(s.alice, ['send', 'core', text]), 'send');
    const [msg] = (await pendingObjects(s, s.bob, s.teamId)) as [Row];
    const raw = (f: (x: Uint8Array) => void) => {
      const x = fromBase64url(msg.envelope);
      f(x);
      return toBase64url(x);
    };
    const versionRefusal = /team object \S+ does not verify: unsupported protocol version/;
    const out = [];
    for (const v of [0, 2]) {
      edit(msg.envelope, (r) => ({ ...r, envelope: raw((x) => (x[HEADER_AT + AT.version] = v)) }));
      out.push(await refused(s.bob, ['inbox'], versionRefusal, { secrets: [text] }));
    }
    edit(msg.envelope, (r) => ({ ...r, envelope: raw((x) => (x[HEADER_AT + AT.suite + 1] = 2)) }));
    out.push(await refused(s.bob, ['inbox'], versionRefusal, { secrets: [text] }));
    // A chain link's version byte: the next link alice appends, served as version 2.
    ok(await hush(s.alice, ['team', 'invite', 'core']), 'a new link');
    s.proxy.tamper = (m, p, body) => {
      if (m !== 'GET' || p !== `/v1/teams/${s.teamId}/links`) return undefined;
      const page = body as { links: string[] };
      const last = fromBase64url(page.links[page.links.length - 1] as string);
      last[4] = 2;
      return { ...page, links: [...page.links.slice(0, -1), toBase64url(last)] };
    };
    out.push(await refused(s.bob, ['inbox'], /team link does not parse: unsupported link version/));
    s.honest();
    await honestly(s.bob, ['inbox'], out);
    assert.ok((await inboxTexts()).includes(text));
  });
});
