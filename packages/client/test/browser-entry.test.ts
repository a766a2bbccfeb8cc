/**
 * The browser entry stays free of Node: its compiled import graph holds no node: module, no
 * Node builtin and no Node global; the package's `browser` condition selects it; and
 * esbuild bundles it for the browser without pulling in a builtin.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const BROWSER = new URL('../src/browser.js', import.meta.url);
const NODE = new URL('../src/index.js', import.meta.url);
const CORE = import.meta.resolve('@hush/core');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const code = (url: URL) =>
  readFileSync(url, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');

/**
 * Every module reachable from `entry` by static or dynamic import, following `@hush/core`
 * into core's compiled files; bare specifiers other than `@hush/core` are collected.
 */
function importGraph(entry: URL): { files: Map<string, string>; bare: Set<string> } {
  const files = new Map<string, string>();
  const bare = new Set<string>();
  const visit = (url: URL) => {
    if (files.has(url.href)) return;
    const src = code(url);
    files.set(url.href, src);
    for (const m of src.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(new URL(spec, url));
      else if (spec === '@hush/core') visit(new URL(CORE));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files, bare };
}

describe('the browser entry (@hush/client/browser)', () => {
  it('imports no node: module, no builtin and no other package, transitively', () => {
    const { files, bare } = importGraph(BROWSER);
    assert.ok(files.size > 40, `the walk found the modules (${files.size})`);
    assert.ok(
      [...files.keys()].some((f) => f.includes('/core/dist/src/')),
      'the walk went into core',
    );
    assert.deepEqual([...bare], [], 'no bare import but @hush/core');
    assert.ok(![...files.keys()].some((f) => f.includes('/client/dist/src/node/')));
  });

  it('uses no Node global (Buffer, process, require, __dirname) in its own modules', () => {
    const { files } = importGraph(BROWSER);
    for (const [f, src] of files) {
      if (!f.includes('/client/dist/src/')) continue;
      for (const g of [/\bBuffer\b/, /\bprocess\s*\./, /\brequire\s*\(/, /\b__dirname\b/])
        assert.doesNotMatch(src, g, `${f} uses a Node global`);
    }
  });

  it('the walk does find node: modules in the Node entry', () => {
    const { bare } = importGraph(NODE);
    assert.ok(bare.has('node:fs') && bare.has('@hush/core/node'), [...bare].join(' '));
    assert.ok([...bare].every((s) => BUILTINS.has(s) || s === '@hush/core/node'));
  });

  it('the package resolves to the browser entry under the browser condition only', () => {
    const probe = (conditions: string[]) =>
      execFileSync(
        process.execPath,
        [
          ...conditions,
          '--input-type=module',
          '-e',
          "const m = await import('@hush/client'); console.log(typeof m.indexedDbStore, typeof m.fileStorage)",
        ],
        { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' },
      ).trim();
    assert.equal(probe([]), 'undefined function');
    assert.equal(probe(['--conditions=browser']), 'function undefined');
  });

  for (const entry of ['@hush/client/browser', '@hush/client'])
    it(`esbuild bundles ${entry} for the browser without a Node builtin`, async () => {
      const r = await build({
        stdin: {
          contents: `export { Hush, memoryStore, indexedDbStore } from '${entry}';`,
          resolveDir: fileURLToPath(new URL('.', import.meta.url)),
          loader: 'js',
        },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.warnings, []);
      const inputs = Object.keys(r.metafile.inputs);
      assert.ok(
        inputs.some((i) => i.endsWith('client/dist/src/browser.js')),
        'the browser entry',
      );
      assert.ok(!inputs.some((i) => /client\/dist\/src\/node\/|core\/dist\/src\/node\.js/.test(i)));
      for (const [name, input] of Object.entries(r.metafile.inputs))
        for (const imp of input.imports)
          assert.ok(
            !BUILTINS.has(imp.path) && !imp.external,
            `${name} imports ${imp.path}${imp.external ? ' (external)' : ''}`,
          );
      const out = r.outputFiles[0]?.text ?? '';
      assert.ok(out.length > 50_000, 'the SDK is in the bundle');
      assert.doesNotMatch(out, /\bfrom\s*["']node:|require\(["']node:/);
    });
});
