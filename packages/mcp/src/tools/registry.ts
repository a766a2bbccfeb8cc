/**
 * Every tool the server offers, by module. A new namespace (kv, files, secrets) is one more
 * module under tools/ exporting its `HushTool`s, and one more line here.
 */
import { identityTools } from './identity.js';
import { messageTools } from './messages.js';
import { snippetTools } from './snippets.js';
import type { HushTool } from './tool.js';
import { waitTools } from './wait.js';

/** The tools, in the order `tools/list` shows them. */
export const TOOLS: readonly HushTool[] = [
  ...identityTools,
  ...messageTools,
  ...waitTools,
  ...snippetTools,
];
