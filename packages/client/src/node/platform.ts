/**
 * The Node platform: node:crypto (or a given backend), records as files under the home
 * directory (or a given storage), scrypt for passphrases, a synchronous SHA-256 for safety
 * numbers, snippets read from files and git, and HTTP over node:http (transport.ts).
 */
import type { CryptoBackend } from '@hush/core';
import { nodeBackend } from '@hush/core/node';
import { recordPaths, type Platform } from '../platform.js';
import type { HushStorage } from '../storage.js';
import { fileStorage } from './file-storage.js';
import { sha256Sync } from './fingerprint.js';
import { nodeScrypt } from './keystore.js';
import { homePaths } from './paths.js';
import { nodeSnippetSource } from './snippet-source.js';
import { nodeFetch } from './transport.js';

/** Where and with what a Node SDK instance runs. */
export interface NodePlatformOptions {
  /** The home directory (default: HUSH_HOME, XDG, ~/.config/hush). */
  readonly home?: string;
  /** Keep the records in this storage instead of files under the home. */
  readonly storage?: HushStorage;
  /** The crypto backend (default: node:crypto). */
  readonly backend?: CryptoBackend;
}

/** The platform for Node. */
export function nodePlatform(o: NodePlatformOptions = {}): Platform {
  const storage = o.storage ?? fileStorage(homePaths(o.home).home);
  return {
    backend: o.backend ?? nodeBackend,
    storage,
    paths: o.storage ? recordPaths(o.storage) : homePaths(o.home),
    kdf: nodeScrypt,
    sha256Sync,
    snippetSource: nodeSnippetSource,
    fetch: nodeFetch,
  };
}
