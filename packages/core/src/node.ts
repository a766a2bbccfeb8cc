/**
 * Node-only entry point (`@hush/core/node`): the node:crypto backend and Node stream
 * adapters. The browser entry (`@hush/core`) never imports node: modules.
 */
export { nodeBackend } from './backend/node.js';
