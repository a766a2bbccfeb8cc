// Agent coordination through MCP: how long from agent A's `send_message` call until agent
// B's pending `wait_for_message` returns that message, each agent a real `hush mcp` process
// driven by the official MCP client over stdio, through a local relay (SQLite). The peer is
// the floor: the same exchange with the SDK alone in one process (`messages.send`, then
// `hush.watch()` yielding the verified message), so the ratio shows what the MCP server and
// its two stdio hops add.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Hush } from '../packages/client/dist/src/index.js';
import { newStorage, startServer } from './lib/server.mjs';
import { now, sleep, summary } from './lib/stats.mjs';

const HUSH = new URL('../packages/cli/dist/src/main.js', import.meta.url).pathname;
const ROUNDS = 200;
const WARMUP = 10;
/** Time for B's wait to register before A sends (not counted): the watch path is measured. */
const SETTLE_MS = 30;

async function mcpClient(dir) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [HUSH, 'mcp'],
    cwd: dir,
    env: { HOME: dir, XDG_CONFIG_HOME: dir },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'hush-bench', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

async function tool(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
  if (r.isError) throw new Error(`${name}: ${r.content[0]?.text}`);
  return r.structuredContent;
}

/** `rounds` timed exchanges; `once(i)` runs one and returns its latency in ms. */
async function measure(rounds, once) {
  for (let i = 0; i < WARMUP; i++) await once(-1 - i);
  const t = [];
  for (let i = 0; i < rounds; i++) t.push(await once(i));
  return summary(t);
}

async function viaMcp(server, alice, team, dir) {
  const homes = [];
  const ids = [];
  for (const name of ['sender', 'waiter']) {
    const home = join(dir, name);
    const agent = await Hush.init({
      home: join(home, '.hush'),
      server: server.url,
      name,
      agent: { sponsor: alice.whoami().principalId },
    });
    await alice.teams.add(team.id, agent.whoami().principalId, 'agent');
    homes.push(home);
    ids.push(agent.whoami().principalId);
  }
  const [a, b] = await Promise.all(homes.map(mcpClient));
  try {
    await tool(a, 'list_teams', {});
    await tool(b, 'list_teams', {});
    return await measure(ROUNDS, async (i) => {
      const waiting = tool(b, 'wait_for_message', {
        team: team.id,
        from: ids[0],
        timeout_seconds: 60,
      });
      await sleep(SETTLE_MS);
      const t0 = now();
      await tool(a, 'send_message', { team: team.id, text: `round ${i}`, type: 'request' });
      const got = await waiting;
      const t1 = now();
      if (got.message?.text !== `round ${i}`) throw new Error(`round ${i}: ${JSON.stringify(got)}`);
      return t1 - t0;
    });
  } finally {
    await a.close();
    await b.close();
  }
}

async function viaSdk(server, alice, team, dir) {
  const b = await Hush.init({ home: join(dir, 'sdk-b'), server: server.url, name: 'sdk-b' });
  await b.join(await alice.teams.invite(team.id));
  const stop = new globalThis.AbortController();
  const arrivals = [];
  let ready;
  const isReady = new Promise((r) => (ready = r));
  const watching = (async () => {
    for await (const ev of b.watch({ team: team.id, signal: stop.signal })) {
      if (ev.type === 'ready') ready();
      if (ev.type === 'message') for (const w of arrivals.splice(0)) w(ev.message);
    }
  })();
  await isReady;
  try {
    return await measure(ROUNDS, async (i) => {
      const arrived = new Promise((r) => arrivals.push(r));
      const t0 = now();
      await alice.messages.send(team.id, { text: `sdk ${i}`, type: 'request' });
      const m = await arrived;
      const t1 = now();
      if (m.text !== `sdk ${i}`) throw new Error(`sdk round ${i}: got ${m.text}`);
      return t1 - t0;
    });
  } finally {
    stop.abort();
    await watching;
  }
}

/** Runs the MCP benchmark. */
export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-mcp-'));
  const storage = newStorage('sqlite');
  const server = await startServer(storage);
  try {
    const alice = await Hush.init({ home: join(dir, 'alice'), server: server.url, name: 'alice' });
    const team = await alice.teams.create('bench');
    const sdk = await viaSdk(server, alice, team, dir);
    const mcp = await viaMcp(server, alice, team, dir);
    const row = (q, label) => ({
      metric: `send_message → wait_for_message returns, ${label} of ${ROUNDS}`,
      unit: 'ms',
      hush: mcp[q],
      peer: sdk[q],
      peerName: 'SDK send → watch yields (floor)',
    });
    return {
      title: 'MCP: agent to agent',
      rows: [
        {
          ...row('p50', 'median'),
          note: `max ${mcp.max.toFixed(1)} ms (floor max ${sdk.max.toFixed(1)} ms)`,
        },
        row('p99', 'p99'),
      ],
      notes: [
        `Two \`hush mcp\` processes (agents in their own folders, made with the SDK and added to the team with the agent role), each driven by the official MCP client (\`@modelcontextprotocol/sdk\` \`StdioClientTransport\`) from this process; one relay process on SQLite on the same machine.`,
        `A round: B calls \`wait_for_message\` (team and sender filter), ${SETTLE_MS} ms later A calls \`send_message\`; timed from A's call until B's call returns the message (A seals and posts, the relay pushes an SSE event, B's watch syncs and verifies, B marks it read and answers over stdio). ${WARMUP} untimed rounds first.`,
        'The floor: a sender and a watcher SDK instance in this process (no MCP, no stdio, no child processes): `messages.send`, then `hush.watch()` yields the verified message.',
        'A ratio below 1 means the MCP path takes longer than the floor.',
      ],
    };
  } finally {
    await server.stop();
    await storage.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
