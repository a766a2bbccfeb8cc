/**
 * The fault soak (soak-runner.ts) with the messages workload. `npm test` runs a short run
 * (5 clients x 40 messages, one SIGKILL); `npm run test:soak` sets the full size through
 * HUSH_SOAK_CLIENTS, HUSH_SOAK_STEPS and HUSH_SOAK_KILLS (20 x 500, two SIGKILLs).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { harness } from '../helpers.js';
import { messages } from './soak-messages.js';
import { runSoak, type SoakConfig } from './soak-runner.js';

const env = (name: string, def: number) => Number(process.env[name] ?? def);
const size = {
  clients: env('HUSH_SOAK_CLIENTS', 5),
  steps: env('HUSH_SOAK_STEPS', 40),
  kills: env('HUSH_SOAK_KILLS', 1),
  downMs: env('HUSH_SOAK_DOWN_MS', 500),
  deadlineMs: env('HUSH_SOAK_DEADLINE_MS', 240_000),
};

for (const dialect of await harness.dialects()) {
  const cfg: SoakConfig = { ...size, dialect };
  const kills = `${cfg.kills} SIGKILL${cfg.kills === 1 ? '' : 's'}`;
  describe(`fault soak (${dialect}, ${cfg.clients} clients x ${cfg.steps} messages, ${kills})`, () => {
    it(
      'delivers every message exactly once to every member, and every client finishes in time',
      {
        timeout: cfg.deadlineMs + 120_000,
      },
      async () => {
        const r = await runSoak(cfg, [messages]);
        console.log(
          `soak ${dialect}: ${r.steps} messages from ${cfg.clients} clients, ${r.kills} kills, ` +
            `${r.queued} queued at send, ${r.flushedAtEnd} flushed at the end, ` +
            `${r.ms} ms (slowest client ${r.slowestClientMs} ms)`,
        );
        assert.equal(r.kills, cfg.kills, 'the relay was killed as planned');
        assert.equal(r.steps, cfg.clients * cfg.steps);
      },
    );
  });
}
