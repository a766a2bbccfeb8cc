#!/usr/bin/env node
// Runs every bench/*.bench.mjs (or the one named argv[2], else those whose name contains it) and writes
// docs/BENCHMARKS.md: how to reproduce, the machine, then one table per bench. Numbers live
// only in that file. With a filter, the sections of benches not run are kept as they were.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benchDir = join(root, 'bench');
const outFile = join(root, 'docs', 'BENCHMARKS.md');
const filter = process.argv[2] ?? '';

function tool(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}

function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpu = m[1].trim();
  } catch {
    // not Linux: keep the os module's model string
  }
  let os = `${process.platform} ${release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) os = `${m[1]} (kernel ${release()})`;
  } catch {
    // no os-release
  }
  return [
    ['CPU', cpu],
    ['Cores', String(cpus().length)],
    ['Memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['OS', os],
    ['Node.js', `${process.version} (its OpenSSL: ${process.versions.openssl})`],
    ['OpenSSL CLI', tool('openssl', ['version']) ?? 'not installed'],
    ['age', tool('age', ['--version']) ?? 'not installed'],
  ];
}

function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function ratioOf(row) {
  if (Number.isFinite(row.ratio)) return row.ratio;
  if (!Number.isFinite(row.hush) || !Number.isFinite(row.peer) || row.peer === 0) return NaN;
  // Ratios read "times better than the peer": for times (ms) smaller is better.
  return /\bms\b/.test(row.unit) ? row.peer / row.hush : row.hush / row.peer;
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The machine in one line, carried by each section (sections of other runs keep theirs). */
function machineLine() {
  const m = new Map(machine());
  return `${m.get('CPU')}, ${m.get('Cores')} cores, ${m.get('Memory')}, Node.js ${process.version}`;
}

function section(name, result, date) {
  const lines = [`<!-- bench:${name} -->`, `## ${result.title}`, ''];
  lines.push(`\`bench/${name}.bench.mjs\`, measured ${date} on ${machineLine()}.`, '');
  if (result.rows.length > 0) {
    lines.push(
      '| metric | hush | peer (name) | ratio | note |',
      '| --- | ---: | ---: | ---: | --- |',
    );
    for (const r of result.rows) {
      const ratio = ratioOf(r);
      const peer = Number.isFinite(r.peer) ? `${fmt(r.peer)} ${r.unit}` : 'n/a';
      lines.push(
        `| ${cell(r.metric)} | ${fmt(r.hush)} ${cell(r.unit)} | ${peer} (${cell(r.peerName)}) | ` +
          `${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a'} | ${cell(r.note ?? '')} |`,
      );
    }
    lines.push('');
  }
  for (const n of result.notes ?? []) lines.push(`- ${n}`);
  lines.push('', `<!-- /bench:${name} -->`);
  return lines.join('\n');
}

function keptSections() {
  const kept = new Map();
  if (!existsSync(outFile)) return kept;
  const text = readFileSync(outFile, 'utf8');
  for (const m of text.matchAll(/<!-- bench:([\w.-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)) {
    kept.set(m[1], m[0]);
  }
  return kept;
}

const names = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.slice(0, -'.bench.mjs'.length))
  .sort();
// A filter naming one bench exactly runs only that one (`server`, not also `server-sse-idle`).
const selected = names.includes(filter) ? [filter] : names.filter((n) => n.includes(filter));
if (selected.length === 0) {
  console.error(`no bench matches "${filter}" (have: ${names.join(', ')})`);
  process.exit(1);
}

const sections = keptSections();
for (const name of sections.keys()) if (!names.includes(name)) sections.delete(name);
let failed = false;
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
for (const name of selected) {
  console.error(`bench ${name} ...`);
  const load = loadavg()[0].toFixed(2);
  let result;
  try {
    const mod = await import(join(benchDir, `${name}.bench.mjs`));
    result = await mod.default();
  } catch (e) {
    failed = true;
    console.error(e);
    result = { title: name, rows: [], notes: [`The bench failed: ${e?.message ?? e}`] };
  }
  result.notes = [...(result.notes ?? []), `Load average when the bench started: ${load}.`];
  sections.set(name, section(name, result, date));
  for (const r of result.rows) {
    console.error(`  ${r.metric}: hush ${fmt(r.hush)} ${r.unit}, ${r.peerName} ${fmt(r.peer)}`);
  }
}

const header = [
  '# Benchmarks',
  '',
  'Generated by `bench/run.mjs`; do not edit by hand. Reproduce with `npm run bench`',
  '(or `npm run build && node bench/run.mjs NAME` for the bench named NAME, else those whose',
  'name contains NAME).',
  'Every peer figure is measured in the same run as the hush figure next to it. A ratio above',
  '1 means hush is better (faster, or more operations per second).',
  '',
  'Each section names the date, machine and load of its own run; the table below is the',
  `machine of the latest run (${date}).`,
  '',
  '| machine | |',
  '| --- | --- |',
  ...machine().map(([k, v]) => `| ${k} | ${cell(v)} |`),
  '',
].join('\n');
const body = names.filter((n) => sections.has(n)).map((n) => sections.get(n));
writeFileSync(outFile, `${header}\n${body.join('\n\n')}\n`);
console.error(`wrote ${outFile}`);
process.exit(failed ? 1 : 0);
