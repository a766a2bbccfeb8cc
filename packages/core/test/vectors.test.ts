import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { backends } from './backends.js';
import { runVector, type Vector } from './vector-model.js';

const dir = new URL('../../../../vectors/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('vectors', () => {
  it('cover every scenario class the spec names', () => {
    const names = files.join(' ');
    for (const needed of [
      'team-envelope-valid',
      'team-envelope-tampered-',
      'team-envelope-bad-signature',
      'team-envelope-wrong-key',
      'stream-reordered',
      'stream-dropped',
      'stream-duplicated',
      'stream-truncated-at-boundary',
      'stream-trailing',
      'stream-empty',
      'base64url-padded',
      'team-chain-bad-prev',
      'team-chain-wrong-signer',
      'team-chain-removal-without-rotation',
      'team-chain-invite-expired',
      'team-chain-invite-reused',
      'key-box-other-device',
      'body-message',
      'body-file',
    ]) {
      assert.ok(names.includes(needed), `missing vector ${needed}`);
    }
  });

  for (const b of backends) {
    it(`every vector gives its expected result (${b.name})`, async () => {
      for (const f of files) {
        const v = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Vector;
        assert.equal(await runVector(b, v), v.expect, f);
      }
    });
  }
});
