/**
 * Workspace confinement on a real file system: every way out (`..`, absolute paths, file
 * and directory symlinks, the hush home, hard links to its files) is refused; paths that stay inside are resolved to
 * their real path.
 */
import assert from 'node:assert/strict';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Workspace } from '../src/workspace.js';

describe('Workspace.file', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'hush-mcp-ws-')));
  const root = join(base, 'proj');
  const outside = join(base, 'outside');
  let ws: Workspace;

  before(async () => {
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    mkdirSync(join(root, '.hush'));
    mkdirSync(outside);
    writeFileSync(join(root, 'src', 'a.ts'), 'a\n');
    writeFileSync(join(root, 'src', 'deep', 'b.ts'), 'b\n');
    writeFileSync(join(root, '.hush', 'identity.json'), '{}');
    writeFileSync(join(outside, 'x.txt'), 'x\n');
    symlinkSync(join(root, 'src', 'a.ts'), join(root, 'inside-link.ts'));
    symlinkSync(join(outside, 'x.txt'), join(root, 'file-link.txt'));
    symlinkSync(outside, join(root, 'dir-link'));
    symlinkSync(join(root, '.hush'), join(root, 'keys'));
    linkSync(join(root, '.hush', 'identity.json'), join(root, 'src', 'hard.json'));
    writeFileSync(join(outside, 'shared.txt'), 's\n');
    linkSync(join(outside, 'shared.txt'), join(root, 'src', 'shared.txt'));
    ws = await Workspace.open(root, join(root, '.hush'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('resolves paths inside, relative or absolute, through symlinks that stay inside', async () => {
    assert.equal(await ws.file('src/a.ts'), join(root, 'src', 'a.ts'));
    assert.equal(await ws.file('./src/deep/b.ts'), join(root, 'src', 'deep', 'b.ts'));
    assert.equal(await ws.file(join(root, 'src', 'a.ts')), join(root, 'src', 'a.ts'));
    assert.equal(await ws.file('inside-link.ts'), join(root, 'src', 'a.ts'));
    // A hard link to a file that is not the hush home's is an ordinary file.
    assert.equal(await ws.file('src/shared.txt'), join(root, 'src', 'shared.txt'));
  });

  it('refuses every way out, naming why', async () => {
    const cases: [string, RegExp][] = [
      ['../outside/x.txt', /may not contain "\.\."/],
      ['src/../src/a.ts', /may not contain "\.\."/],
      ['src\\..\\..\\outside\\x.txt', /may not contain "\.\."/],
      [join(outside, 'x.txt'), /outside the workspace/],
      ['/etc/passwd', /outside the workspace/],
      ['file-link.txt', /leads outside the workspace/],
      ['dir-link/x.txt', /leads outside the workspace/],
      ['.hush/identity.json', /hush home/],
      ['keys/identity.json', /hush home/],
      ['src/hard.json', /hard link to a file of the hush home/],
      ['src', /not a regular file/],
      ['', /give a file path/],
      ['src/a.ts\0.png', /give a file path/],
    ];
    for (const [path, why] of cases)
      await assert.rejects(ws.file(path), (e: Error & { kind?: string }) => {
        assert.equal(e.kind, 'USAGE', path);
        assert.match(e.message, why, path);
        return true;
      });
    await assert.rejects(ws.file('src/none.ts'), { kind: 'NOT_FOUND' });
  });

  it('a workspace that is not a folder is refused', async () => {
    await assert.rejects(Workspace.open(join(root, 'src', 'a.ts')), /is not a folder/);
    await assert.rejects(Workspace.open(join(base, 'missing')), /is not a folder/);
  });
});
