/**
 * `hush mcp`: the MCP server for coding agents, over stdio (docs/MCP.md), acting as the
 * identity found the usual way (./.hush/ of the workspace, else the user's home).
 * `hush mcp install`: the configuration that makes an MCP client start it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { ClientName } from '@hush/mcp';
import { globals, passphrase, resolveHome, resolveServer, sdk, type Globals } from '../context.js';
import { usage } from '../errors.js';
import { note, out } from '../output.js';

const CLIENT_NAMES = ['claude', 'cursor', 'codex', 'vscode', 'generic'] as const;

interface InstallOptions {
  readonly client: ClientName;
  readonly workspace: string;
  readonly write?: boolean;
  readonly file?: string;
  readonly name: string;
  readonly command: string;
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * The `hush mcp` arguments that reproduce this invocation's identity and relay: a home or
 * relay given here (option or environment) is written out, since the client starts the
 * server with an environment of its own; `./.hush/` of the workspace is found there anyway.
 */
function launchArgs(g: Globals, workspace: string): string[] {
  const server = resolveServer(g);
  const home = g.home ?? (process.env.HUSH_HOME || undefined);
  return [
    'mcp',
    '--workspace',
    workspace,
    ...(home !== undefined ? ['--home', resolve(home)] : []),
    ...(server !== undefined ? ['--server', server] : []),
    ...(g.insecureTransport ? ['--insecure-transport'] : []),
  ];
}

async function install(o: InstallOptions, g: Globals): Promise<void> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.name))
    throw usage('--name takes 1 to 64 letters, digits, "-" or "_"');
  const workspace = resolve(o.workspace);
  const { planInstall, renderSnippet, writeInstall } = await import('@hush/mcp');
  const plan = planInstall(o.client, {
    name: o.name,
    launch: { command: o.command, args: launchArgs(g, workspace) },
    workspace,
    ...(o.file !== undefined ? { file: resolve(o.file) } : {}),
  });
  const home = resolveHome(g, process.env, workspace) ?? (await sdk()).defaultHome();
  const noIdentity = () => {
    if (!existsSync(join(home, 'identity.json')))
      note(`note: no hush identity in ${home} yet: hush agent create NAME --dir ${workspace}`);
  };
  if (!o.write) {
    process.stdout.write(renderSnippet(plan));
    note(
      plan.file !== undefined
        ? `${plan.label}: put this in ${plan.file} (or run again with --write)`
        : `${plan.label}: put this where the client reads its MCP servers`,
    );
    if (plan.command !== undefined) note(`or run: ${plan.command}`);
    return noIdentity();
  }
  const r = await writeInstall(plan);
  out(r.file);
  note(
    r.changed
      ? `${plan.label}: added "${plan.name}" to ${r.file}; restart the client to load it`
      : `${plan.label}: ${r.file} already has "${plan.name}" as planned`,
  );
  noIdentity();
}

/** Registers `hush mcp` and `hush mcp install`. */
export function register(program: Command): void {
  const mcp = program
    .command('mcp')
    .summary('the MCP server for coding agents (stdio), and its client configuration');
  mcp
    .command('serve', { isDefault: true })
    .summary('serve MCP on stdin/stdout (the default: hush mcp)')
    .option('--workspace <DIR>', 'the folder whose files tools may share', '.')
    .addHelpText(
      'after',
      `
Started by an MCP client, not by hand: stdout carries only MCP JSON-RPC, diagnostics go to
stderr. Acts as the identity in DIR/.hush/ (see hush agent create), else --home, HUSH_HOME
or the user's home. A wrapped identity needs HUSH_PASSPHRASE in the server's environment.

Examples:
  hush mcp                                  # in the agent's folder
  hush mcp --workspace ~/src/api`,
    )
    .action(async (o: { workspace: string }, cmd: Command) => {
      const g = globals(cmd);
      const workspace = resolve(o.workspace);
      const home = resolveHome(g, process.env, workspace);
      const server = resolveServer(g);
      const { serveStdio } = await import('@hush/mcp');
      await serveStdio({
        workspace,
        version: rootOf(cmd).version() ?? 'unknown',
        ...(home !== undefined ? { home } : {}),
        ...(server !== undefined ? { server } : {}),
        ...(g.insecureTransport ? { insecureTransport: true } : {}),
        ...passphrase(),
      });
    });
  mcp
    .command('install')
    .summary("print (or --write) an MCP client's configuration for hush mcp")
    .addOption(
      new Option('--client <NAME>', 'the MCP client').choices(CLIENT_NAMES).default('generic'),
    )
    .option('--workspace <DIR>', 'the agent folder the server serves', '.')
    .option('--write', "merge it into the client's file (atomically, keeping other servers)")
    .option('--file <PATH>', 'the file to write instead of the client’s usual one')
    .option('--name <NAME>', 'the server name in the client', 'hush')
    .option('--command <CMD>', 'how the client starts hush (when it is not on PATH)', 'hush')
    .addHelpText(
      'after',
      `
Files: claude .mcp.json, cursor .cursor/mcp.json, vscode .vscode/mcp.json (all in the
workspace), codex $CODEX_HOME/config.toml (default ~/.codex/config.toml); generic prints
an mcpServers JSON (with --write it needs --file). Without --write the snippet is printed
on stdout and where it goes on stderr.

Examples:
  hush mcp install --client claude --write
  hush mcp install --client codex --workspace ~/src/api --write
  hush mcp install --client cursor --command "$(command -v hush)"`,
    )
    .action((o: InstallOptions, cmd: Command) => install(o, globals(cmd)));
}
