/**
 * Files through the SDK against a real relay, on both dialects: team and direct files
 * round-trip byte for byte across upload-chunk boundaries; a direct file's blob is readable
 * by its recipient only; the version rules (a writer cannot replace or delete another
 * member's file, an admin can) hold even when the writer bypasses the SDK's own checks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COLLECTION, FLAG_TOMBSTONE, fromBase64url, STREAM_CHUNK_SIZE } from '@hush/core';
import { AuthError, NotFoundError, type Hush } from '../src/index.js';
import { dialects, spawnServer, Storage, type ServerProcess } from './harness.js';
import { person } from './helpers.js';

/** Plaintext bytes of one full upload chunk (64 STREAM chunks). */
const UPLOAD = 64 * STREAM_CHUNK_SIZE;

for (const kind of await dialects())
  describe(`files on ${kind}`, () => {
    let storage: InstanceType<typeof Storage>;
    let server: ServerProcess;
    let alice: Hush; // owner
    let bob: Hush; // writer
    let carol: Hush; // writer, not the recipient of bob's direct file
    let work: string;
    let bobId: string;
    before(async () => {
      storage = new Storage(kind);
      server = await spawnServer(storage);
      alice = await person(server.url, 'alice');
      bob = await person(server.url, 'bob');
      carol = await person(server.url, 'carol');
      await alice.teams.create('platform');
      await bob.join(await alice.teams.invite('platform', { role: 'writer' }));
      await carol.join(await alice.teams.invite('platform', { role: 'writer' }));
      work = mkdtempSync(join(tmpdir(), 'hush-files-'));
      bobId = bob.whoami().principalId;
    });
    after(async () => {
      await server.stop();
      await storage.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    it('round-trips team files across upload-chunk boundaries, byte for byte', async () => {
      for (const size of [UPLOAD, UPLOAD + 1, 2 * UPLOAD + STREAM_CHUNK_SIZE + 3]) {
        const content = randomBytes(size);
        const src = join(work, `t-${size}.bin`);
        writeFileSync(src, content);
        const ref = await alice.files.put(src);
        assert.equal(ref.size, size);
        assert.equal(
          ref.chunkCount,
          Math.ceil((size + 16 * Math.ceil(size / STREAM_CHUNK_SIZE)) / (UPLOAD + 64 * 16)),
        );
        assert.equal(ref.sentChunks, ref.chunkCount);
        const listed = (await bob.files.list()).find((f) => f.id === ref.id);
        assert.equal(listed?.name, `t-${size}.bin`);
        assert.equal(listed?.mediaType, 'application/octet-stream');
        assert.equal(listed?.from.name, 'alice');
        const out = join(work, `back-${size}.bin`);
        const got = await bob.files.get(ref.id, { out });
        assert.equal(got.out, out);
        assert.ok(readFileSync(out).equals(content), `size ${size}`);
      }
      assert.deepEqual(
        readdirSync(work).filter((f) => f.endsWith('.hush-part')),
        [],
        'no part file is left',
      );
    });

    it('sends a direct file whose blob only the recipient (and the sender) can fetch', async () => {
      const content = randomBytes(3 * STREAM_CHUNK_SIZE + 10);
      const src = join(work, 'secret.tar');
      writeFileSync(src, content);
      const ref = await alice.files.put(src, { to: '@bob' });
      assert.equal(ref.to, `@${bobId}`);
      const mine = (await bob.files.list()).find((f) => f.id === ref.id);
      assert.equal(mine?.direct, true);
      assert.equal(mine?.mediaType, 'application/x-tar');
      const out = join(work, 'secret-back.tar');
      await bob.files.get('secret.tar', { out });
      assert.ok(readFileSync(out).equals(content));
      assert.equal(
        (await carol.files.list()).find((f) => f.id === ref.id),
        undefined,
      );
      await assert.rejects(carol.files.get(ref.id, { out: join(work, 'x') }), NotFoundError);
      // Only the sender removes it; then nobody lists it.
      await assert.rejects(bob.files.rm(ref.id), AuthError);
      const rm = await alice.files.rm(ref.id);
      assert.equal(rm.blobDeleted, true);
      assert.equal(
        (await bob.files.list()).find((f) => f.id === ref.id),
        undefined,
      );
      await assert.rejects(bob.files.get(ref.id, { out }), NotFoundError);
    });

    it("keeps a writer from removing or replacing another member's file; an admin may", async () => {
      const src = join(work, 'plan.md');
      writeFileSync(src, '# plan\n');
      const ref = await alice.files.put(src);
      await assert.rejects(bob.files.rm(ref.id), AuthError);
      // bob writes the tombstone himself, past the SDK's check: the relay takes it (any writer
      // may write a version), but readers ignore it and say so.
      const teamId = (await bob.teams.list())[0]?.id ?? '';
      const entry = await bob.messages.sealBody(teamId, COLLECTION.file, new Uint8Array(0), {
        objectId: fromBase64url(ref.id),
        version: 2,
        flags: FLAG_TOMBSTONE,
      });
      await bob.messages.post(entry, teamId);
      const seen = await carol.files.list();
      assert.ok(
        seen.some((f) => f.id === ref.id),
        'the file is still listed',
      );
      assert.ok(carol.takeWarnings().some((w) => /ignored/.test(w)));
      // Its uploader can still remove it, on top of the version bob wrote.
      assert.equal((await alice.files.rm(ref.id)).tombstoned, true);
      assert.equal(
        (await carol.files.list()).find((f) => f.id === ref.id),
        undefined,
      );
      // alice (owner) removes bob's file: accepted by every reader.
      const bobs = join(work, 'bob.txt');
      writeFileSync(bobs, 'bob was here\n');
      const theirs = await bob.files.put(bobs);
      const r = await alice.files.rm('bob.txt');
      assert.equal(r.tombstoned, true);
      assert.equal(r.file.id, theirs.id);
      assert.equal(
        (await carol.files.list()).find((f) => f.id === theirs.id),
        undefined,
      );
      await assert.rejects(carol.files.get(theirs.id, { out: join(work, 'y') }), NotFoundError);
    });
  });
