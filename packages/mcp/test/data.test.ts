/**
 * The kv and file tools through the real `hush mcp` process: a kv round trip between two
 * agents (compare-and-set, reserved keys), a file uploaded by one agent and downloaded by the
 * other into its workspace, and every way a path could leave the workspace, for upload and
 * for download (`..`, absolute paths outside, symlinks and symlinked folders pointing
 * outside, the hush home, a planted `.hush-part` link).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { call, callError, cli, connect, hushOk, world, type Connected } from './helpers.js';

describe('kv and file tools', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let a: { dir: string; principalId: string };
  let b: { dir: string; principalId: string };
  let ca: Connected;
  let cb: Connected;
  const outside = cli.tempDir('data-outside');

  before(async () => {
    w = await world('data');
    a = await w.agent('uploader');
    b = await w.agent('downloader');
    writeFileSync(join(outside, 'private.txt'), 'outside the workspace\n');
    for (const dir of [a.dir, b.dir]) {
      symlinkSync(join(outside, 'private.txt'), join(dir, 'escape.txt'));
      symlinkSync(outside, join(dir, 'elsewhere'));
    }
    ca = await connect(a.dir);
    cb = await connect(b.dir);
  });
  after(async () => {
    await ca?.close();
    await cb?.close();
    await w?.stop();
    cli.cleanup(outside);
  });

  it('kv: set, get, list, compare-and-set and delete, seen by the other agent', async () => {
    const value = { by: 'uploader', steps: [1, 2, 3], ok: true };
    const set = await call<{ version: number; changed: boolean }>(ca, 'kv_set', {
      key: 'deploy/lock',
      value,
      if_version: 0,
    });
    assert.deepEqual(set, { key: 'deploy/lock', version: 1, changed: true });
    const got = await call<{ value: unknown; version: number; author: { principalId: string } }>(
      cb,
      'kv_get',
      { key: 'deploy/lock', team: 'core' },
    );
    assert.deepEqual(got.value, value);
    assert.equal(got.version, 1);
    assert.equal(got.author.principalId, a.principalId);

    assert.match(
      await callError(cb, 'kv_set', { key: 'deploy/lock', value: 'mine', if_version: 0 }),
      /^conflict: key deploy\/lock is at version 1, not 0/,
    );
    await call(cb, 'kv_set', { key: 'deploy/lock', value: 'released', if_version: 1 });
    await call(cb, 'kv_set', { key: 'config/retries', value: 3 });
    const again = await call(cb, 'kv_set', { key: 'config/retries', value: 3 });
    assert.equal(again.changed, false, 'the same value writes nothing');

    const list = await call<{ entries: { key: string; preview: string }[] }>(ca, 'kv_list', {});
    assert.deepEqual(
      list.entries.map((e) => [e.key, e.preview]),
      [
        ['config/retries', '3'],
        ['deploy/lock', '"released"'],
      ],
    );
    const only = await call<{ entries: unknown[] }>(ca, 'kv_list', { prefix: 'deploy/' });
    assert.equal(only.entries.length, 1);

    assert.deepEqual(await call(ca, 'kv_delete', { key: 'deploy/lock', if_version: 2 }), {
      key: 'deploy/lock',
      version: 3,
    });
    assert.match(await callError(cb, 'kv_get', { key: 'deploy/lock' }), /^not found: no key/);
    assert.match(
      await callError(ca, 'kv_set', { key: 'hush:agent-secrets:x', value: { envs: ['a'] } }),
      /^invalid request: keys starting with "hush:" are reserved/,
    );
    assert.match(
      await callError(ca, 'kv_delete', { key: 'hush:anything' }),
      /^invalid request: .*reserved/,
    );
  });

  it('file_upload and file_download move a file between two agents, verified', async () => {
    const content = Buffer.from('id,total\n1,42\n'.repeat(5000));
    mkdirSync(join(a.dir, 'out'));
    writeFileSync(join(a.dir, 'out', 'report.csv'), content);
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const r = (await ca.client.callTool(
      { name: 'file_upload', arguments: { path: 'out/report.csv' } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )) as CallToolResult;
    assert.ok(!r.isError, JSON.stringify(r.content));
    const up = r.structuredContent as { id: string; size: number; queued: boolean };
    assert.deepEqual(progress.at(-1), {
      progress: content.length,
      total: content.length,
      message: 'uploading out/report.csv',
    });
    assert.equal(up.size, content.length);
    assert.equal(up.queued, false);

    const listed = await call<{
      files: { id: string; name: string; from: { principalId: string } }[];
    }>(cb, 'file_list', { team: 'core' });
    const f = listed.files.find((x) => x.id === up.id);
    assert.equal(f?.name, 'report.csv');
    assert.equal(f?.from.principalId, a.principalId);

    const down = await call<{ path: string; sha256: string }>(cb, 'file_download', {
      file: 'report.csv',
      path: 'inbox/new/report.csv',
    });
    assert.equal(down.path, join('inbox', 'new', 'report.csv'));
    assert.deepEqual(readFileSync(join(b.dir, 'inbox', 'new', 'report.csv')), content);

    assert.match(
      await callError(cb, 'file_download', { file: up.id, path: 'inbox/new/report.csv' }),
      /^conflict: inbox\/new\/report\.csv exists: .*overwrite true/,
    );
    writeFileSync(join(b.dir, 'inbox', 'new', 'report.csv'), 'stale');
    await call(cb, 'file_download', { file: up.id, path: 'inbox/new/report.csv', overwrite: true });
    assert.deepEqual(readFileSync(join(b.dir, 'inbox', 'new', 'report.csv')), content);

    // Directly to one member: only the two of them list it.
    writeFileSync(join(a.dir, 'note.txt'), 'for you only\n');
    const direct = await call<{ id: string; to: string }>(ca, 'file_upload', {
      path: 'note.txt',
      member: b.principalId,
      name: 'handover.txt',
    });
    const mine = await call<{ files: { id: string; name: string; direct: boolean }[] }>(
      cb,
      'file_list',
      { from: a.principalId },
    );
    assert.deepEqual(
      mine.files.filter((x) => x.direct).map((x) => [x.id, x.name]),
      [[direct.id, 'handover.txt']],
    );
    await call(cb, 'file_download', { file: direct.id, path: 'handover.txt' });
    assert.equal(readFileSync(join(b.dir, 'handover.txt'), 'utf8'), 'for you only\n');

    // A symlink inside the workspace to a file inside it: the file it names is written.
    writeFileSync(join(b.dir, 'target.csv'), 'old');
    symlinkSync(join(b.dir, 'target.csv'), join(b.dir, 'link.csv'));
    await call(cb, 'file_download', { file: up.id, path: 'link.csv', overwrite: true });
    assert.deepEqual(readFileSync(join(b.dir, 'target.csv')), content);
  });

  it('uploads refuse paths that leave the workspace or reach the keys', async () => {
    const cases: [string, RegExp][] = [
      ['../outside.txt', /may not contain "\.\."/],
      ['out/../../x', /may not contain "\.\."/],
      [join(outside, 'private.txt'), /outside the workspace/],
      ['escape.txt', /leads outside the workspace/],
      ['elsewhere/private.txt', /leads outside the workspace/],
      ['.hush/identity.json', /hush home/],
      ['out', /not a regular file/],
    ];
    for (const [path, why] of cases) {
      const text = await callError(ca, 'file_upload', { path });
      assert.match(text, /^invalid request: /, path);
      assert.match(text, why, path);
    }
    const names = (await call<{ files: { name: string }[] }>(cb, 'file_list', {})).files.map(
      (f) => f.name,
    );
    assert.deepEqual(names, ['report.csv', 'handover.txt'], 'nothing refused was sent');
  });

  it('downloads refuse paths that leave the workspace or reach the keys', async () => {
    symlinkSync(join(outside, 'planted'), join(b.dir, 'planted.csv.hush-part'));
    symlinkSync(join(outside, 'nothing-here'), join(b.dir, 'dangling.csv'));
    const cases: [string, RegExp][] = [
      ['../outside.csv', /may not contain "\.\."/],
      ['inbox/../../x.csv', /may not contain "\.\."/],
      [join(outside, 'written.csv'), /outside the workspace/],
      ['escape.txt', /leads outside the workspace/],
      ['elsewhere/written.csv', /leads outside the workspace/],
      ['elsewhere/deeper/written.csv', /leads outside the workspace/],
      ['.hush/identity.json', /hush home/],
      ['.hush/new.csv', /hush home/],
      ['inbox', /not a regular file/],
      ['planted.csv', /hush-part exists and is not a regular file/],
      ['dangling.csv', /symlink to nothing/],
      ['.', /not the workspace itself/],
    ];
    for (const [path, why] of cases) {
      const text = await callError(cb, 'file_download', {
        file: 'report.csv',
        path,
        overwrite: true,
      });
      assert.match(text, /^invalid request: /, path);
      assert.match(text, why, path);
    }
    assert.equal(readFileSync(join(outside, 'private.txt'), 'utf8'), 'outside the workspace\n');
    for (const p of ['written.csv', 'deeper', 'planted', 'nothing-here'])
      assert.equal(existsSync(join(outside, p)), false, `nothing written outside (${p})`);
    await hushOk(undefined, ['whoami'], { cwd: b.dir }); // the agent's keys are intact
  });
});
