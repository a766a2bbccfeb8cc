/**
 * Node-only entry point (`@hush/core/node`): the node:crypto backend and Node stream
 * adapters. The browser entry (`@hush/core`) never imports node: modules.
 *
 * @example
 * import { nodeBackend, createEncryptStream } from '@hush/core/node';
 * source.pipe(createEncryptStream(nodeBackend, streamKey)).pipe(destination);
 */
export { nodeBackend } from './backend/node.js';
export { createDecryptStream, createEncryptStream } from './stream/node.js';
