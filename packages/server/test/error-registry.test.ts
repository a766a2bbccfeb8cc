import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS } from '../src/errors.js';

describe('error registry', () => {
  it('docs/API.md lists exactly the registry, with the same statuses and messages', () => {
    const full = readFileSync(new URL('../../../../docs/API.md', import.meta.url), 'utf8');
    // The registry table is the one under "## Errors"; route sections cite codes in tables too.
    const start = full.indexOf('\n## Errors\n');
    const doc = full.slice(start, full.indexOf('\n## ', start + 5));
    const rows = [
      ...doc.matchAll(/^\|\s*`(HUSH_ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(.+?)\s*\|$/gm),
    ].map((m) => [m[1], Number(m[2]), m[3]]);
    const registry = Object.entries(ERRORS).map(([k, v]) => [k, v.status, v.message]);
    assert.deepEqual(rows, registry);
  });

  it('every code has a client or server error status', () => {
    for (const [code, e] of Object.entries(ERRORS)) {
      assert.match(code, /^HUSH_ERR_[A-Z_]+$/);
      assert.ok(e.status >= 400 && e.status < 600, code);
    }
  });
});
