#!/usr/bin/env node
// `npm run test:soak`: the long runs of the fault tests that `npm test` runs short. The
// fault soak at full size (20 SDK clients x 500 messages and 5 files, the relay SIGKILLed
// twice, on SQLite and PostgreSQL), and every fuzzer (core parsers, the relay's routes) at
// a large case count. Each size is an environment variable; one already set wins, so a
// single piece can be run larger or smaller, e.g. HUSH_SOAK_STEPS=100 npm run test:soak.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const defaults = {
  HUSH_SOAK_CLIENTS: '20',
  HUSH_SOAK_STEPS: '500',
  HUSH_SOAK_FILES: '5',
  HUSH_SOAK_READERS: '2',
  HUSH_SOAK_KILLS: '2',
  HUSH_SOAK_DEADLINE_MS: String(30 * 60_000),
  HUSH_FUZZ_RUNS: '20000',
};
const env = { ...defaults, ...process.env };
const files = [
  'packages/core/dist/test/fuzz-encodings.test.js',
  'packages/core/dist/test/fuzz-chains.test.js',
  'packages/core/dist/test/fuzz-envelopes.test.js',
  'packages/core/dist/test/fuzz-streams.test.js',
  'packages/server/dist/test/malformed-input.test.js',
  'packages/cli/dist/test/faults/soak.test.js',
].map((f) => join(root, f));
for (const [k, v] of Object.entries(defaults))
  console.log(`${k}=${env[k]}${env[k] === v ? '' : ' (set)'}`);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
