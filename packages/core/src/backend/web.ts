/**
 * The WebCrypto backend, for browsers (and usable in Node through globalThis.crypto).
 * Private keys are imported as PKCS#8 with the RFC 8410 prefixes, public keys as raw
 * bytes; the shared test suite checks that both backends accept and reject the same inputs.
 */
import { concat, expectBytes } from '../bytes.js';
import { HpkeError, OpenError } from '../errors.js';
import type { CryptoBackend } from './types.js';

const hex = (s: string) => new Uint8Array(s.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
const ED_PKCS8 = hex('302e020100300506032b657004220420');
const X_PKCS8 = hex('302e020100300506032b656e04220420');

/** A copy backed by a plain ArrayBuffer, which WebCrypto's typings require. */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

/**
 * Builds the backend on a SubtleCrypto instance (defaults to globalThis.crypto).
 * @example
 * const backend = webCryptoBackend();
 * const sig = await backend.ed25519Sign(seed, message);
 */
export function webCryptoBackend(crypto: Crypto = globalThis.crypto): CryptoBackend {
  const subtle = crypto.subtle;

  async function publicOf(alg: 'Ed25519' | 'X25519', prefix: Uint8Array, raw: Uint8Array) {
    const usage: KeyUsage[] = alg === 'Ed25519' ? ['sign'] : ['deriveBits'];
    const k = await subtle.importKey('pkcs8', buf(concat(prefix, raw)), { name: alg }, true, usage);
    const jwk = await subtle.exportKey('jwk', k);
    if (!jwk.x) throw new HpkeError(`${alg} public key export failed`);
    // JWK "x" is unpadded base64url of the raw public key.
    const b64 = jwk.x.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  return {
    name: 'webcrypto',
    randomBytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 65536)
        crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
      return out;
    },
    async sha256(data) {
      return new Uint8Array(await subtle.digest('SHA-256', buf(data)));
    },
    async hmacSha256(key, data) {
      // WebCrypto refuses zero-length HMAC keys; HMAC pads keys with zeros to the block
      // size, so a single zero byte is the same key (RFC 2104 section 2).
      const k = await subtle.importKey(
        'raw',
        buf(key.length === 0 ? new Uint8Array(1) : key),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      return new Uint8Array(await subtle.sign('HMAC', k, buf(data)));
    },
    async aesGcmSeal(key, nonce, aad, plaintext) {
      expectBytes('key', key, 32);
      expectBytes('nonce', nonce, 12);
      const k = await subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt']);
      const ct = await subtle.encrypt(
        { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 },
        k,
        buf(plaintext),
      );
      return new Uint8Array(ct);
    },
    async aesGcmOpen(key, nonce, aad, sealed) {
      expectBytes('key', key, 32);
      expectBytes('nonce', nonce, 12);
      if (sealed.length < 16) throw new OpenError('ciphertext shorter than the tag');
      const k = await subtle.importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
      try {
        const pt = await subtle.decrypt(
          { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 },
          k,
          buf(sealed),
        );
        return new Uint8Array(pt);
      } catch {
        throw new OpenError();
      }
    },
    ed25519PublicKey: (seed) => publicOf('Ed25519', ED_PKCS8, expectBytes('seed', seed, 32)),
    async ed25519Sign(seed, message) {
      expectBytes('seed', seed, 32);
      const k = await subtle.importKey(
        'pkcs8',
        buf(concat(ED_PKCS8, seed)),
        { name: 'Ed25519' },
        false,
        ['sign'],
      );
      return new Uint8Array(await subtle.sign('Ed25519', k, buf(message)));
    },
    async ed25519Verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      try {
        const k = await subtle.importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, [
          'verify',
        ]);
        return await subtle.verify('Ed25519', k, buf(signature), buf(message));
      } catch {
        return false;
      }
    },
    x25519PublicKey: (sk) => publicOf('X25519', X_PKCS8, expectBytes('privateKey', sk, 32)),
    async x25519(privateKey, publicKey) {
      expectBytes('privateKey', privateKey, 32);
      expectBytes('publicKey', publicKey, 32);
      let out: Uint8Array;
      try {
        const sk = await subtle.importKey(
          'pkcs8',
          buf(concat(X_PKCS8, privateKey)),
          { name: 'X25519' },
          false,
          ['deriveBits'],
        );
        const pk = await subtle.importKey('raw', buf(publicKey), { name: 'X25519' }, false, []);
        out = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pk }, sk, 256));
      } catch (cause) {
        throw new HpkeError('X25519 failed: invalid public key', { cause });
      }
      if (out.every((x) => x === 0)) throw new HpkeError('X25519 produced the all-zero value');
      return out;
    },
  };
}
