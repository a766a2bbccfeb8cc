/**
 * Replaying what this device verified before. The state record holds only what passed
 * verification when it arrived from the relay (chain links applied and pinned, envelopes
 * opened against the verified chains), and it is as trusted as the identity record next to
 * it: whoever can rewrite one can rewrite the other. So when a process re-reads it, the one
 * check whose answer cannot have changed, and the costly one, is skipped: Ed25519
 * signatures. Everything else runs again on every load and read: chain structure, hashes,
 * sequence and times against the pin, rights tables, key commitments, AEAD with its bound
 * header, and the author's rights at the envelope's chain position. Anything the relay sends
 * is verified in full, with the real backend, before it is stored.
 */
import type { CryptoBackend } from '@hush/core';

/** `b` with signature verification answered "valid": only for data read back from state. */
export function replayBackend(b: CryptoBackend): CryptoBackend {
  const detached = b.aesGcmSealDetached?.bind(b);
  return {
    name: `${b.name} (replay)`,
    randomBytes: (n) => b.randomBytes(n),
    sha256: (d) => b.sha256(d),
    hmacSha256: (k, d) => b.hmacSha256(k, d),
    aesGcmSeal: (k, n, a, p) => b.aesGcmSeal(k, n, a, p),
    ...(detached ? { aesGcmSealDetached: detached } : {}),
    aesGcmOpen: (k, n, a, s) => b.aesGcmOpen(k, n, a, s),
    ed25519PublicKey: (s) => b.ed25519PublicKey(s),
    ed25519Sign: (s, m) => b.ed25519Sign(s, m),
    ed25519Verify: async () => true,
    x25519PublicKey: (k) => b.x25519PublicKey(k),
    x25519: (k, p) => b.x25519(k, p),
  };
}
