/**
 * Every tool the server offers, by module. A new namespace is one more module under tools/
 * exporting its `HushTool`s, and one more line here.
 */
import { fileTools } from './files.js';
import { identityTools } from './identity.js';
import { kvTools } from './kv.js';
import { messageTools } from './messages.js';
import { secretTools } from './secrets.js';
import { snippetTools } from './snippets.js';
import type { HushTool } from './tool.js';
import { waitTools } from './wait.js';

/** The tools, in the order `tools/list` shows them. */
export const TOOLS: readonly HushTool[] = [
  ...identityTools,
  ...messageTools,
  ...waitTools,
  ...snippetTools,
  ...kvTools,
  ...fileTools,
  ...secretTools,
];
