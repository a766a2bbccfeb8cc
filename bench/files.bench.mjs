// Encrypted file transfer as a user runs it: `hush file put` and `hush file get` of a 1 GiB
// file against a local relay (SQLite, its own process), next to `age` encrypting and
// decrypting the same file and a plain `cp` (the ceiling: no encryption, no network, no
// relay), all measured in this run, interleaved. Each hush figure is a fresh `hush` process
// from start to exit; so is each age and cp figure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { spawnServer, Storage } from '../packages/server/dist/test/harness.js';
import { randomFile, sha256File, which } from './lib/io.mjs';
import { cpuSecondsOf } from './lib/server.mjs';

const SIZE = 1024 ** 3;
const RUNS = 3;
const HUSH = new URL('../packages/cli/dist/src/main.js', import.meta.url).pathname;
const work = new URL('.work/', import.meta.url).pathname;
const input = join(work, 'files-1GiB.bin');
const f = (name) => join(work, name);
const mbps = (ms) => SIZE / 1e6 / (ms / 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmtMB = (x) => Math.round(x).toLocaleString('en-US');

/** The peak resident set (VmHWM) of a live process, in bytes; 0 once it is gone. */
function peakRss(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs a process to its end: wall time in ms and the peak RSS seen (sampled every 20 ms). */
function timed(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, peakRss(child.pid))), 20);
    child.stderr.on('data', (d) => (err += d));
    child.once('close', (code) => {
      clearInterval(sampler);
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      else resolve({ ms, peak });
    });
  });
}

export default async function run() {
  randomFile(input, SIZE);
  const notes = [];
  const ageVersion = which('age');
  const haveAge = ageVersion !== undefined && which('age-keygen') !== undefined;
  let agePub;
  if (haveAge) {
    const keyFile = f('age-key.txt');
    if (!existsSync(keyFile)) spawnSync('age-keygen', ['-o', keyFile]);
    agePub = /age1[0-9a-z]+/.exec(readFileSync(keyFile, 'utf8'))?.[0];
  } else notes.push('age is not installed (Debian package `age`): the age rows have no peer.');

  const storage = new Storage('sqlite');
  const server = await spawnServer(storage);
  const home = mkdtempSync(join(tmpdir(), 'hush-bench-files-'));
  const env = { HUSH_HOME: home, HUSH_SERVER: '', HUSH_TEAM: '' };
  const hush = (...args) => timed(process.execPath, [HUSH, ...args], env);
  const t = { put: [], get: [], ageEnc: [], ageDec: [], cp: [] };
  const peaks = { put: 0, get: 0 };
  // The relay's CPU seconds during the timed hush runs (it is a process of its own).
  const relayCpu = { put: [], get: [] };
  const relay = server.proc.pid;
  try {
    await hush('init', '--name', 'bench', '--server', server.url);
    await hush('team', 'create', 'bench');
    const putOnce = async (i) => {
      const c0 = cpuSecondsOf(relay);
      const r = await hush('file', 'put', input, '--name', `run-${i}.bin`);
      relayCpu.put.push(cpuSecondsOf(relay) - c0);
      peaks.put = Math.max(peaks.put, r.peak);
      return r.ms;
    };
    const getOnce = async (i) => {
      rmSync(f('back.hush'), { force: true });
      const c0 = cpuSecondsOf(relay);
      const r = await hush('file', 'get', `run-${i}.bin`, '--out', f('back.hush'));
      relayCpu.get.push(cpuSecondsOf(relay) - c0);
      peaks.get = Math.max(peaks.get, r.peak);
      await hush('file', 'rm', `run-${i}.bin`); // keeps the relay's disk use at one copy
      return r.ms;
    };
    const ageEnc = async () => (await timed('age', ['-r', agePub, '-o', f('out.age'), input])).ms;
    const ageDec = async () =>
      (await timed('age', ['-d', '-i', f('age-key.txt'), '-o', f('back.age'), f('out.age')])).ms;
    const cp = async () => {
      rmSync(f('copy.bin'), { force: true });
      return (await timed('cp', [input, f('copy.bin')])).ms;
    };
    // One untimed pass of each warms the page cache, the relay and the files' blocks.
    await putOnce('warm');
    await getOnce('warm');
    if (haveAge) {
      await ageEnc();
      await ageDec();
    }
    await cp();
    for (let i = 0; i < RUNS; i++) {
      // Who goes first alternates, so the writeback of one tool's output falls on the others.
      const steps = [
        async () => t.put.push(await putOnce(i)),
        async () => t.get.push(await getOnce(i)),
        ...(haveAge
          ? [async () => t.ageEnc.push(await ageEnc()), async () => t.ageDec.push(await ageDec())]
          : []),
        async () => t.cp.push(await cp()),
      ];
      const order = i % 2 === 0 ? steps : [...steps.slice(2), ...steps.slice(0, 2)];
      for (const step of order) await step();
    }
    const want = sha256File(input);
    if (sha256File(f('back.hush')) !== want) throw new Error('hush round trip differs');
    if (haveAge && sha256File(f('back.age')) !== want) throw new Error('age round trip differs');
  } finally {
    await server.stop();
    await storage.destroy();
    rmSync(home, { recursive: true, force: true });
    for (const name of ['out.age', 'back.age', 'back.hush', 'copy.bin'])
      rmSync(f(name), { force: true });
  }

  const ageName = haveAge ? ageVersion.replace(/^v?/, 'age ') : 'age (missing)';
  const peer = (xs) => (xs.length > 0 ? mbps(median(xs)) : NaN);
  const spread = (xs) => `${fmtMB(mbps(Math.max(...xs)))}-${fmtMB(mbps(Math.min(...xs)))}`;
  const mib = (n) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  notes.push(
    `Method: median of ${RUNS} runs after one untimed warm-up pass of each; the steps of a run ` +
      'are interleaved and their order alternates between runs. MB = 10^6 bytes. The input is ' +
      '1 GiB of random bytes generated once into bench/.work/ (on the same disk as the relay ' +
      'data dir and the outputs) and read from the page cache.',
    '`hush file put` reads the file, hashes it (SHA-256), STREAM-encrypts it and sends it over ' +
      'HTTP to the relay in 4 MiB upload chunks, four in flight; the relay writes and fsyncs ' +
      'each chunk and commits it in SQLite (synchronous=FULL) before it answers. `hush file get` ' +
      'downloads, decrypts, hashes and writes `OUT.hush-part`, fsyncs it and renames it. age and ' +
      'cp write without fsync. Both hush figures include process start-up, sign-in and the sync ' +
      'of the team, and the manifest write.',
    `Runs, slowest to fastest (MB/s): hush put ${spread(t.put)}, get ${spread(t.get)}` +
      (haveAge ? `; age encrypt ${spread(t.ageEnc)}, decrypt ${spread(t.ageDec)}` : '') +
      `; cp ${spread(t.cp)}.`,
    `Peak resident memory of a hush process (VmHWM, sampled every 20 ms): put ${mib(peaks.put)}, ` +
      `get ${mib(peaks.get)}, for a 1 GiB file. The relay used ${median(relayCpu.put).toFixed(1)} ` +
      `CPU seconds per put and ${median(relayCpu.get).toFixed(1)} per get (median): it hashes ` +
      'every chunk it receives (SHA-256, for idempotent re-PUTs) and runs HTTP on the same two ' +
      'cores as the client, which hashes and encrypts.',
  );
  return {
    title: 'Encrypted files: hush file put and get (1 GiB, local relay)',
    rows: [
      {
        metric: '`hush file put` 1 GiB (encrypt + upload)',
        unit: 'MB/s',
        hush: mbps(median(t.put)),
        peer: peer(t.ageEnc),
        peerName: ageName,
        note: 'age -r PUB -o out in',
      },
      {
        metric: '`hush file get` 1 GiB (download + decrypt)',
        unit: 'MB/s',
        hush: mbps(median(t.get)),
        peer: peer(t.ageDec),
        peerName: ageName,
        note: 'age -d -i key.txt -o out in',
      },
      {
        metric: '`hush file put` 1 GiB against a plain copy',
        unit: 'MB/s',
        hush: mbps(median(t.put)),
        peer: peer(t.cp),
        peerName: 'cp (ceiling)',
        note: 'ratio = share of the copy speed of this disk',
      },
      {
        metric: '`hush file get` 1 GiB against a plain copy',
        unit: 'MB/s',
        hush: mbps(median(t.get)),
        peer: peer(t.cp),
        peerName: 'cp (ceiling)',
        note: 'ratio = share of the copy speed of this disk',
      },
    ],
    notes,
  };
}
