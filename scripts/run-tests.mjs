#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with node's built-in
// runner. Node 20 has no glob support in `--test`, so the file list is built here.
// Set HUSH_TEST_FILTER to a substring to run a subset.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'dist', 'test');
  try {
    walk(dir);
  } catch {
    // a package without tests
  }
}
const filter = process.env.HUSH_TEST_FILTER;
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
if (selected.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
// Two test files at a time by default: most of a file's time is spent waiting on the
// processes it starts (relays, the hush binary, fsync), so two keep both cores busy.
// HUSH_TEST_CONCURRENCY=1 runs one file at a time.
const concurrency = Number(process.env.HUSH_TEST_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error('HUSH_TEST_CONCURRENCY must be a whole number of at least 1');
  process.exit(2);
}
const r = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected.sort()],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
