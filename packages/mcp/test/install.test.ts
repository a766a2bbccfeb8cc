/**
 * `hush mcp install` through the real binary: the snippet for each client on stdout, and
 * `--write` merging into existing configuration files without losing their other servers,
 * comments or settings; a second write changes nothing; a file it cannot parse is refused
 * and left as it was.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { cli } from './helpers.js';

type Servers = Record<string, { command: string; args: string[]; type?: string }>;

describe('hush mcp install', () => {
  const ws = cli.tempDir('install-ws');
  const codexHome = cli.tempDir('install-codex');
  const nobody = cli.tempDir('install-home');
  const run = (args: string[], env: Record<string, string> = {}) =>
    cli.hush(nobody, ['mcp', 'install', '--workspace', ws, ...args], { env });
  after(() => cli.cleanup(ws, codexHome, nobody));

  it('prints each client’s snippet on stdout and where it goes on stderr', async () => {
    const claude = await run(['--client', 'claude']);
    assert.equal(claude.code, 0, claude.stderr);
    const doc = JSON.parse(claude.stdout) as { mcpServers: Servers };
    assert.deepEqual(doc.mcpServers.hush?.args, ['mcp', '--workspace', ws, '--home', nobody]);
    assert.equal(doc.mcpServers.hush?.command, 'hush');
    assert.match(claude.stderr, /\.mcp\.json/);
    assert.match(claude.stderr, /claude mcp add --scope project hush -- hush mcp --workspace/);
    assert.match(claude.stderr, /no hush identity/);

    const vscode = await run(['--client', 'vscode', '--command', '/opt/hush bin/hush']);
    const v = JSON.parse(vscode.stdout) as { servers: Servers };
    assert.equal(v.servers.hush?.type, 'stdio');
    assert.equal(v.servers.hush?.command, '/opt/hush bin/hush');

    const codex = await run(['--client', 'codex'], { CODEX_HOME: codexHome });
    const t = parse(codex.stdout) as { mcp_servers: Servers };
    assert.equal(t.mcp_servers.hush?.command, 'hush');
    assert.match(codex.stderr, /config\.toml/);

    const bad = await run(['--client', 'emacs']);
    assert.equal(bad.code, 2);
  });

  it('--write merges into .mcp.json and .cursor/mcp.json, keeping the other servers', async () => {
    const other = { mcpServers: { db: { command: 'db-mcp', args: ['--ro'] } }, extra: true };
    writeFileSync(join(ws, '.mcp.json'), JSON.stringify(other));
    chmodSync(join(ws, '.mcp.json'), 0o644);
    const w1 = await run(['--client', 'claude', '--write']);
    assert.equal(w1.code, 0, w1.stderr);
    assert.equal(w1.stdout.trim(), join(ws, '.mcp.json'));
    const merged = JSON.parse(readFileSync(join(ws, '.mcp.json'), 'utf8')) as {
      mcpServers: Servers;
      extra: boolean;
    };
    assert.deepEqual(merged.mcpServers.db, other.mcpServers.db);
    assert.equal(merged.extra, true);
    assert.equal(merged.mcpServers.hush?.command, 'hush');
    assert.equal(statSync(join(ws, '.mcp.json')).mode & 0o777, 0o644, 'the mode is kept');
    const before = readFileSync(join(ws, '.mcp.json'), 'utf8');
    const w2 = await run(['--client', 'claude', '--write']);
    assert.match(w2.stderr, /already has "hush"/);
    assert.equal(readFileSync(join(ws, '.mcp.json'), 'utf8'), before, 'idempotent');

    const cursor = await run(['--client', 'cursor', '--write', '--name', 'hush-api']);
    assert.equal(cursor.code, 0, cursor.stderr);
    const c = JSON.parse(readFileSync(join(ws, '.cursor', 'mcp.json'), 'utf8')) as {
      mcpServers: Servers;
    };
    assert.deepEqual(Object.keys(c.mcpServers), ['hush-api']);
  });

  it('--write merges into Codex config.toml, keeping comments and other tables', async () => {
    const file = join(codexHome, 'config.toml');
    const original = [
      '# my settings',
      'model = "o4-mini"',
      '',
      '[mcp_servers.docs]',
      'command = "docs-mcp"',
      '',
      '[mcp_servers.hush]',
      'command = "old-hush"',
      '',
      '[mcp_servers.hush.env]',
      'A = "1"',
      '',
      '[profiles.fast] # a comment',
      'model = "gpt-5"',
      '',
    ].join('\n');
    writeFileSync(file, original);
    const r = await run(['--client', 'codex', '--write'], { CODEX_HOME: codexHome });
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# my settings$/m);
    assert.match(text, /^\[profiles\.fast\] # a comment$/m);
    assert.doesNotMatch(text, /old-hush|A = "1"/);
    // The parser's tables have no prototype: compare them as plain data.
    const t = JSON.parse(JSON.stringify(parse(text))) as {
      model: string;
      mcp_servers: Record<string, { command: string; args: string[]; tool_timeout_sec?: number }>;
      profiles: unknown;
    };
    assert.equal(t.model, 'o4-mini');
    assert.deepEqual(t.mcp_servers.docs, { command: 'docs-mcp' });
    assert.deepEqual(t.profiles, { fast: { model: 'gpt-5' } });
    assert.equal(t.mcp_servers.hush?.args[0], 'mcp');
    assert.equal(t.mcp_servers.hush?.tool_timeout_sec, 330);
    const again = await run(['--client', 'codex', '--write'], { CODEX_HOME: codexHome });
    assert.equal(again.code, 0);
    assert.equal(readFileSync(file, 'utf8'), text, 'idempotent');
  });

  it('refuses files it cannot edit safely and leaves them unchanged', async () => {
    mkdirSync(join(ws, '.vscode'));
    const jsonc = '{ // comments\n "servers": {} }\n';
    writeFileSync(join(ws, '.vscode', 'mcp.json'), jsonc);
    const r = await run(['--client', 'vscode', '--write']);
    assert.equal(r.code, 8, r.stderr);
    assert.match(cli.oneLine(r), /is not plain JSON/);
    assert.equal(readFileSync(join(ws, '.vscode', 'mcp.json'), 'utf8'), jsonc);

    const file = join(codexHome, 'config.toml');
    const inline = 'mcp_servers = { hush = { command = "x" } }\n';
    writeFileSync(file, inline);
    const t = await run(['--client', 'codex', '--write'], { CODEX_HOME: codexHome });
    assert.equal(t.code, 7, t.stderr);
    assert.match(cli.oneLine(t), /in a form hush does not edit/);
    assert.equal(readFileSync(file, 'utf8'), inline);

    const generic = await run(['--client', 'generic', '--write']);
    assert.equal(generic.code, 2);
    assert.match(cli.oneLine(generic), /give --file/);
  });
});
