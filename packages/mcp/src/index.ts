/**
 * `@hush/mcp`: the hush MCP server for coding agents (docs/MCP.md). Thin: every tool calls
 * the SDK (`@hush/client`), which verifies everything it returns. Everything exported here
 * is public API; named exports only.
 *
 * @example
 * import { serveStdio } from '@hush/mcp';
 * await serveStdio({ workspace: process.cwd(), version: '0.1.0' }); // until stdin closes
 */
export { serveStdio, type ServeOptions } from './serve.js';
export { createServer } from './server.js';
export { Session, type SessionOptions } from './session.js';
export { Workspace } from './workspace.js';
export { errorText, ToolError } from './errors.js';
export { INBOX_URI } from './inbox.js';
export { TOOLS } from './tools/registry.js';
export { defineTool, type HushTool, type ToolContext } from './tools/tool.js';
export {
  CLIENTS,
  planInstall,
  shellWord,
  type ClientName,
  type InstallPlan,
  type Launch,
} from './install/clients.js';
export { mergeJson, mergeToml, renderSnippet, writeInstall } from './install/merge.js';
