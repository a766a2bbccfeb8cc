/** The backends every suite runs against: the same tests, node:crypto and WebCrypto. */

import { nodeBackend } from '../src/backend/node.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { webCryptoBackend } from '../src/backend/web.js';

export const backends: readonly CryptoBackend[] = [nodeBackend, webCryptoBackend()];
