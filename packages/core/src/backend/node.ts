/**
 * The node:crypto backend. Raw keys are wrapped in fixed DER prefixes (PKCS#8 / SPKI,
 * RFC 8410) so OpenSSL does the curve arithmetic; no primitive is written here.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { expectBytes } from '../bytes.js';
import { HpkeError, OpenError } from '../errors.js';
import type { CryptoBackend } from './types.js';

const ED_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const X_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

function priv(prefix: Buffer, raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' });
}

function pub(prefix: Buffer, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki' });
}

function rawPublic(k: KeyObject): Uint8Array {
  const der = createPublicKey(k).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The backend for Node.js (fastest: about 3x WebCrypto in Node for bulk AES-GCM).
 * @example
 * import { nodeBackend } from '@hush/core/node';
 * const digest = await nodeBackend.sha256(new Uint8Array([1, 2, 3]));
 */
export const nodeBackend: CryptoBackend = {
  name: 'node',
  randomBytes: (n) => u8(randomBytes(n)),
  sha256: async (data) => u8(createHash('sha256').update(data).digest()),
  hmacSha256: async (key, data) => u8(createHmac('sha256', key).update(data).digest()),
  async aesGcmSeal(key, nonce, aad, plaintext) {
    expectBytes('key', key, 32);
    expectBytes('nonce', nonce, 12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const body = c.update(plaintext);
    const fin = c.final();
    return u8(Buffer.concat([body, fin, c.getAuthTag()]));
  },
  async aesGcmOpen(key, nonce, aad, sealed) {
    expectBytes('key', key, 32);
    expectBytes('nonce', nonce, 12);
    if (sealed.length < 16) throw new OpenError('ciphertext shorter than the tag');
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const body = d.update(sealed.subarray(0, sealed.length - 16));
    try {
      return u8(Buffer.concat([body, d.final()]));
    } catch {
      body.fill(0);
      throw new OpenError();
    }
  },
  async ed25519PublicKey(seed) {
    return rawPublic(priv(ED_PKCS8, expectBytes('seed', seed, 32)));
  },
  async ed25519Sign(seed, message) {
    return u8(sign(null, message, priv(ED_PKCS8, expectBytes('seed', seed, 32))));
  },
  async ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return verify(null, message, pub(ED_SPKI, publicKey), signature);
    } catch {
      return false;
    }
  },
  async x25519PublicKey(privateKey) {
    return rawPublic(priv(X_PKCS8, expectBytes('privateKey', privateKey, 32)));
  },
  async x25519(privateKey, publicKey) {
    expectBytes('privateKey', privateKey, 32);
    expectBytes('publicKey', publicKey, 32);
    let out: Buffer;
    try {
      out = diffieHellman({
        privateKey: priv(X_PKCS8, privateKey),
        publicKey: pub(X_SPKI, publicKey),
      });
    } catch (cause) {
      throw new HpkeError('X25519 failed: invalid public key', { cause });
    }
    if (out.every((x) => x === 0)) throw new HpkeError('X25519 produced the all-zero value');
    return u8(out);
  },
};
