import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/** Follows every static and dynamic import of a compiled module, transitively. */
function importGraph(entry: URL): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (url: URL) => {
    if (files.has(url.href)) return;
    files.add(url.href);
    const src = readFileSync(url, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of src.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(new URL(spec, url));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

describe('browser entry', () => {
  it('@hush/core never imports a node: module or any package', () => {
    const { files, external } = importGraph(new URL('../src/index.js', import.meta.url));
    assert.ok(files.size > 20, 'the walk found the modules');
    assert.deepEqual([...external], []);
  });

  it('@hush/core/node is where node: imports live', () => {
    const { external } = importGraph(new URL('../src/node.js', import.meta.url));
    assert.ok([...external].every((s) => s.startsWith('node:')));
    assert.ok(external.has('node:crypto'));
  });
});
