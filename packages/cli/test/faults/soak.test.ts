/**
 * The fault soak (soak-runner.ts) with the messages and files workloads. `npm test` runs a
 * short run (5 clients x 40 messages and 3 files, each file downloaded by the 4 other
 * clients, one SIGKILL); `npm run test:soak` sets the full size through HUSH_SOAK_CLIENTS,
 * HUSH_SOAK_STEPS, HUSH_SOAK_FILES, HUSH_SOAK_READERS and HUSH_SOAK_KILLS (20 clients x 500
 * messages and 5 files, each downloaded by 2 other clients, two SIGKILLs).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { harness } from '../helpers.js';
import { files } from './soak-files.js';
import { messages } from './soak-messages.js';
import { runSoak, type SoakConfig } from './soak-runner.js';

const env = (name: string, def: number) => Number(process.env[name] ?? def);
const size = {
  clients: env('HUSH_SOAK_CLIENTS', 5),
  kills: env('HUSH_SOAK_KILLS', 1),
  downMs: env('HUSH_SOAK_DOWN_MS', 500),
  deadlineMs: env('HUSH_SOAK_DEADLINE_MS', 240_000),
};
const steps = { messages: env('HUSH_SOAK_STEPS', 40), files: env('HUSH_SOAK_FILES', 3) };
/** Clients that download each file (capped at every other client). */
const readers = env('HUSH_SOAK_READERS', 4);

for (const dialect of await harness.dialects()) {
  const cfg: SoakConfig = { ...size, dialect };
  const kills = `${cfg.kills} SIGKILL${cfg.kills === 1 ? '' : 's'}`;
  const what = `${cfg.clients} clients x ${steps.messages} messages and ${steps.files} files`;
  describe(`fault soak (${dialect}, ${what}, ${kills})`, () => {
    it(
      'delivers every message exactly once and every file byte-identical to every member, and every client finishes in time',
      // The deadline bounds the clients' run; the checks after it (every member reads
      // everything, downloads) take about as long again in a full run.
      { timeout: 2 * cfg.deadlineMs },
      async () => {
        const r = await runSoak(cfg, [
          { workload: messages, steps: steps.messages },
          { workload: files(readers), steps: steps.files },
        ]);
        const m = r.figures.messages ?? {};
        const f = r.figures.files ?? {};
        console.log(
          `soak ${dialect}: ${m.messages} messages and ${f.files} files (${f.bytes} bytes) ` +
            `from ${cfg.clients} clients, ${r.kills} kills, ${r.queued} queued at send, ` +
            `${r.flushedAtEnd} flushed at the end, ${f.reruns} puts rerun (${f.resumed} ` +
            `resumed with chunks the relay held), ${f.downloads} downloads verified, ` +
            `${r.ms} ms (slowest client ${r.slowestClientMs} ms)`,
        );
        assert.equal(r.kills, cfg.kills, 'the relay was killed as planned');
        assert.equal(r.steps, cfg.clients * (steps.messages + steps.files));
        assert.equal(f.files, cfg.clients * steps.files);
        assert.equal(f.downloads, f.files * Math.min(readers, cfg.clients - 1));
      },
    );
  });
}
