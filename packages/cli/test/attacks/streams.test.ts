/**
 * Attack class 4 through the real binary: a relay serving `hush file get` the STREAM
 * ciphertext of a file with its chunks reordered, dropped, duplicated, truncated, or spliced
 * in from another file. (packages/cli/test/files-tamper.test.ts adds byte flips and piping
 * to stdout.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { STREAM_SEALED_CHUNK_SIZE as SEALED } from '@hush/core';
import { hush } from '../helpers.js';
import { attackScene, honestly, noFile, ok, refused, type Refusal } from './scene.js';

interface Listed {
  id: string;
  name: string;
  blobId: string;
}

describe('attack class 4: stream chunks', () => {
  const s = attackScene();
  const size = 3 * 65_536 + 100; // four STREAM chunks, the last one short
  const a = randomBytes(size);
  let fa: Listed;
  let blobOfB: Buffer = Buffer.alloc(0);
  let dl = '';

  before(async () => {
    dl = join(s.work, 'downloads');
    mkdirSync(dl);
    writeFileSync(join(s.work, 'a.bin'), a);
    writeFileSync(join(s.work, 'b.bin'), randomBytes(size));
    ok(await hush(s.alice, ['file', 'put', join(s.work, 'a.bin'), join(s.work, 'b.bin')]), 'put');
    const listed = JSON.parse(
      ok(await hush(s.bob, ['file', 'list', '--json']), 'list').stdout,
    ) as Listed[];
    fa = listed.find((f) => f.name === 'a.bin') as Listed;
    const fb = listed.find((f) => f.name === 'b.bin') as Listed;
    // b.bin's blob as the relay stores it, recorded from an honest download.
    s.proxy.tamperBytes = (m, p, answer) => {
      if (m === 'GET' && p === `/v1/blobs/${fb.blobId}`) blobOfB = answer.body;
      return undefined;
    };
    ok(await hush(s.bob, ['file', 'get', 'b.bin', '--out', join(s.work, 'b-honest.bin')]), 'get b');
    s.honest();
    assert.equal(blobOfB.length, size + 4 * 16);
  });

  it('class 4: chunks reordered, dropped, duplicated, truncated or spliced are refused (exit 5), nothing written', async () => {
    const chunk = (blob: Buffer, i: number) => blob.subarray(i * SEALED, (i + 1) * SEALED);
    const attacks: [string, (blob: Buffer) => Buffer][] = [
      ['reordered', (x) => Buffer.concat([chunk(x, 0), chunk(x, 2), chunk(x, 1), chunk(x, 3)])],
      ['dropped', (x) => Buffer.concat([chunk(x, 0), chunk(x, 2), chunk(x, 3)])],
      [
        'dropped, the length kept',
        (x) => Buffer.concat([chunk(x, 0), chunk(x, 0), chunk(x, 2), chunk(x, 3)]),
      ],
      [
        'duplicated',
        (x) => Buffer.concat([chunk(x, 0), chunk(x, 1), chunk(x, 1), chunk(x, 2), chunk(x, 3)]),
      ],
      ['truncated at a chunk boundary', (x) => x.subarray(0, 3 * SEALED)],
      ['truncated inside the last chunk', (x) => x.subarray(0, x.length - 1)],
      [
        'spliced from another file',
        (x) => Buffer.concat([chunk(x, 0), chunk(blobOfB, 1), chunk(x, 2), chunk(x, 3)]),
      ],
      [
        'the final chunk of another file',
        (x) => Buffer.concat([x.subarray(0, 3 * SEALED), chunk(blobOfB, 3)]),
      ],
    ];
    const out = join(s.work, 'a-out.bin');
    const refusals: Refusal[] = [];
    for (const [what, rewrite] of attacks) {
      s.proxy.tamperBytes = (m, p, answer) =>
        m === 'GET' && p === `/v1/blobs/${fa.blobId}` ? rewrite(answer.body) : undefined;
      refusals.push(
        await refused(
          s.bob,
          ['file', 'get', 'a.bin', '--out', out],
          /^hush: file a\.bin \(\S+\) does not verify: /,
        ),
      );
      noFile(out);
      assert.deepEqual(readdirSync(join(s.bob, 'downloads')), [], `${what}: no download journal`);
      // Without --out the file would land in the working directory under its name.
      if (refusals.length === 1) {
        refusals.push(
          await refused(s.bob, ['file', 'get', 'a.bin'], /does not verify/, { cwd: dl }),
        );
        assert.deepEqual(readdirSync(dl), [], `${what}: nothing in the working directory`);
      }
    }
    s.honest();
    await honestly(s.bob, ['file', 'get', 'a.bin', '--out', out], refusals);
    assert.ok(readFileSync(out).equals(a), 'the honest download is byte-identical');
  });
});
