/**
 * The MCP tests' world: a real relay process, a human made with the real `hush` binary, agent
 * folders made by that human with `hush agent create`, and the official MCP client talking
 * over stdio to a real `hush mcp` process started in an agent's folder.
 */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type * as CliHelpers from '../../cli/dist/test/helpers.js';

/** The CLI's test helpers (the real binary, temp dirs, the relay harness), compiled. */
export const cli = (await import(
  new URL('../../../cli/dist/test/helpers.js', import.meta.url).href
)) as typeof CliHelpers;

/** Runs `hush ARGS` as `home` (undefined: the folder's own .hush/) and requires exit 0. */
export async function hushOk(
  home: string | undefined,
  args: readonly string[],
  opts: { cwd?: string } = {},
): Promise<string> {
  const r = await cli.hush(home, args, opts);
  assert.equal(r.code, 0, `hush ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A relay, a human `alice` with team `core`. */
export async function world(prefix: string) {
  const storage = new cli.harness.Storage('sqlite');
  const server = await cli.harness.spawnServer(storage);
  const alice = cli.tempDir(`${prefix}-alice`);
  await hushOk(alice, ['init', '--name', 'alice', '--server', server.url]);
  await hushOk(alice, ['team', 'create', 'core']);
  const dirs: string[] = [alice];
  return {
    server,
    storage,
    alice,
    /** An agent folder made by alice and added to `core` with the agent role. */
    async agent(name: string): Promise<{ dir: string; principalId: string }> {
      const dir = cli.tempDir(`${prefix}-${name}`);
      dirs.push(dir);
      const created = JSON.parse(
        await hushOk(alice, ['agent', 'create', name, '--dir', dir, '--json']),
      ) as { principalId: string };
      await hushOk(alice, ['team', 'add', 'core', created.principalId, '--role', 'agent']);
      return { dir, principalId: created.principalId };
    },
    async stop() {
      await server.stop();
      await storage.destroy();
      cli.cleanup(...dirs);
    },
  };
}

/** A connected MCP client and what its server wrote on stderr. */
export interface Connected {
  readonly client: Client;
  /** Everything `hush mcp` wrote on stderr so far. */
  stderr(): string;
  /** Transport and protocol errors the client saw (anything but JSON-RPC on stdout shows here). */
  readonly errors: Error[];
  close(): Promise<void>;
}

/** Starts `hush mcp ARGS` in `dir` through the official client's stdio transport. */
export async function connect(dir: string, args: readonly string[] = []): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli.HUSH, 'mcp', ...args],
    cwd: dir,
    // A home of its own, so no identity of the machine's user is ever picked up.
    env: { HOME: dir, XDG_CONFIG_HOME: dir },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'hush-test', version: '0.0.0' });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  return { client, stderr: () => err, errors, close: () => client.close() };
}

/** Calls a tool and returns its structured content, failing on a tool error. */
export async function call<T = Record<string, unknown>>(
  c: Connected,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const r = (await c.client.callTool({ name, arguments: args })) as CallToolResult;
  assert.ok(!r.isError, `${name} failed: ${JSON.stringify(r.content)}`);
  assert.ok(r.structuredContent, `${name} returned no structured content`);
  const text = r.content[0];
  assert.ok(text?.type === 'text', `${name} returned no text`);
  assert.deepEqual(
    JSON.parse(text.text),
    r.structuredContent,
    'the text is the structured content',
  );
  return r.structuredContent as T;
}

/** Calls a tool that must fail; returns its one-line error text. */
export async function callError(
  c: Connected,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const r = (await c.client.callTool({ name, arguments: args })) as CallToolResult;
  assert.equal(r.isError, true, `${name} should have failed: ${JSON.stringify(r)}`);
  const [first, ...rest] = r.content;
  assert.equal(rest.length, 0);
  assert.ok(first?.type === 'text');
  assert.doesNotMatch(first.text, /\n/, 'one line');
  assert.doesNotMatch(first.text, /\bat .+:\d+:\d+/, 'no stack trace');
  return first.text;
}

/** Resolves when `check` holds, polling briefly (for notifications that arrive on their own). */
export async function eventually(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
