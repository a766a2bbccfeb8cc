/**
 * `@hush/core`: the hush protocol (PROTOCOL.md version 1). Everything exported here is
 * public API; named exports only. Node-only pieces live in `@hush/core/node`.
 */
export type { CryptoBackend } from './backend/types.js';
export { webCryptoBackend } from './backend/web.js';
export { concat, equalBytes, fromHex, fromUtf8, toHex, utf8 } from './bytes.js';
export { fromBase64url, toBase64url } from './encoding/base64url.js';
export { Reader, Writer } from './encoding/canonical.js';
export {
  ArgumentError,
  EncodingError,
  HpkeError,
  HushError,
  OpenError,
  SignatureError,
} from './errors.js';
export { hkdf, hkdfExpand, hkdfExtract } from './kdf.js';
