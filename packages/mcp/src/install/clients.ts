/**
 * How each MCP client is told to start `hush mcp`: the file it reads, the table the server
 * goes in, and the entry. Formats as the clients document them: Claude Code `.mcp.json`
 * (project scope, `mcpServers`), Cursor `.cursor/mcp.json` (`mcpServers`), VS Code
 * `.vscode/mcp.json` (`servers`, with `type`), Codex `$CODEX_HOME/config.toml` (default
 * `~/.codex`, TOML tables `[mcp_servers.NAME]`), and a generic `mcpServers` JSON.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The clients `hush mcp install --client` knows. */
export const CLIENTS = ['claude', 'cursor', 'codex', 'vscode', 'generic'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** How the server is started. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
}

/** Where and how one client's configuration gets the server. */
export interface InstallPlan {
  readonly client: ClientName;
  /** The client's name as people know it. */
  readonly label: string;
  /** The file `--write` merges into; undefined: print only (generic without --file). */
  readonly file: string | undefined;
  readonly format: 'json' | 'toml';
  /** The top-level table holding the servers. */
  readonly table: string;
  /** The server's name in that table. */
  readonly name: string;
  readonly entry: Readonly<Record<string, unknown>>;
  /** The client's own command that does the same, when it has one. */
  readonly command?: string;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Codex gives a tool call 60 s by default; `wait_for_message` may wait up to 300 s, so the
 * entry raises it (Codex's `tool_timeout_sec`).
 */
const CODEX_TOOL_TIMEOUT_SEC = 330;

/**
 * The plan for one client. `workspace` is where the project files go (`.mcp.json`, ...);
 * `file` overrides the target file.
 * @example
 * planInstall('cursor', { name: 'hush', launch: { command: 'hush', args: ['mcp'] }, workspace: '/src/api' });
 */
export function planInstall(
  client: ClientName,
  o: {
    readonly name: string;
    readonly launch: Launch;
    readonly workspace: string;
    readonly file?: string;
    readonly env?: NodeJS.ProcessEnv;
  },
): InstallPlan {
  const env = o.env ?? process.env;
  const { command } = o.launch;
  const args = [...o.launch.args];
  const line = [command, ...args].map(shellWord).join(' ');
  const base = { client, name: o.name, format: 'json' as const, table: 'mcpServers' };
  const at = (file: string) => o.file ?? file;
  switch (client) {
    case 'claude':
      return {
        ...base,
        label: 'Claude Code',
        file: at(join(o.workspace, '.mcp.json')),
        entry: { type: 'stdio', command, args, env: {} },
        command: `claude mcp add --scope project ${shellWord(o.name)} -- ${line}`,
      };
    case 'cursor':
      return {
        ...base,
        label: 'Cursor',
        file: at(join(o.workspace, '.cursor', 'mcp.json')),
        entry: { command, args },
      };
    case 'vscode':
      return {
        ...base,
        label: 'VS Code',
        file: at(join(o.workspace, '.vscode', 'mcp.json')),
        table: 'servers',
        entry: { type: 'stdio', command, args },
      };
    case 'codex':
      return {
        ...base,
        label: 'Codex',
        file: at(join(env.CODEX_HOME || join(homedir(), '.codex'), 'config.toml')),
        format: 'toml',
        table: 'mcp_servers',
        entry: { command, args, tool_timeout_sec: CODEX_TOOL_TIMEOUT_SEC },
        command: `codex mcp add ${shellWord(o.name)} -- ${line}`,
      };
    case 'generic':
      return { ...base, label: 'any MCP client', file: o.file, entry: { command, args } };
  }
}
