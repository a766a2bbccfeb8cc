/** The CLI's choice lists agree with @hush/core. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLE } from '@hush/core';
import { parseDuration, ROLES } from '../src/vocab.js';

describe('vocabulary', () => {
  it('roles match core', () => {
    assert.deepEqual([...ROLES].sort(), Object.keys(ROLE).sort());
  });
  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(parseDuration('-1h'), undefined);
  });
});
