/**
 * What the server can check about an envelope without any key: its canonical structure
 * (PROTOCOL.md section 7: `bytes(header) || bytes(ciphertext) || signature(64)` with a
 * canonical header) and the author device's Ed25519 signature over
 * `str("hush/v1/object-sig") || bytes(header) || SHA-256(ciphertext)`.
 *
 * The signature input is built from core's LABEL and Writer, so labels cannot drift; the
 * round-trip tests seal with core and verify here. Verification runs on libuv's thread
 * pool (node:crypto's callback form), so it uses the second core instead of the event
 * loop: Ed25519 verification costs about 110 µs here, as much as everything else a write
 * does on the main thread.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeHeader, LABEL, Reader, Writer, type EnvelopeHeader } from '@hush/core';
import { fail } from '../errors.js';

/** A structurally valid envelope, split into its parts. */
export interface ParsedEnvelope {
  readonly header: EnvelopeHeader;
  readonly headerBytes: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly signature: Uint8Array;
}

/** Splits and decodes an envelope, or fails with HUSH_ERR_INVALID_ENVELOPE. */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope {
  try {
    const r = new Reader(bytes);
    const headerBytes = r.bytes();
    const ciphertext = r.bytes();
    const signature = r.fixed(64);
    r.end();
    return { header: decodeHeader(headerBytes), headerBytes, ciphertext, signature };
  } catch {
    fail('HUSH_ERR_INVALID_ENVELOPE', 'the envelope or its header is not canonically encoded');
  }
}

/** The message the author device signed. */
export function signatureInput(env: ParsedEnvelope): Uint8Array {
  const digest = createHash('sha256').update(env.ciphertext).digest();
  return new Writer().str(LABEL.objectSig).bytes(env.headerBytes).fixed(digest, 32).finish();
}

// Public keys of active devices are few and hot; importing one costs about 8 µs.
const KEY_CACHE_MAX = 4096;
const keys = new Map<string, KeyObject>();

function publicKey(raw: Uint8Array): KeyObject {
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  let k = keys.get(x);
  if (!k) {
    if (keys.size >= KEY_CACHE_MAX) keys.clear();
    k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    keys.set(x, k);
  }
  return k;
}

/** Whether the envelope's signature verifies under `sigPk` (off the event loop). */
export function envelopeSignatureValid(env: ParsedEnvelope, sigPk: Uint8Array): Promise<boolean> {
  if (sigPk.length !== 32) return Promise.resolve(false);
  const msg = signatureInput(env);
  return new Promise((resolve) => {
    try {
      verify(null, msg, publicKey(sigPk), env.signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/** Fails with HUSH_ERR_INVALID_ENVELOPE unless the signature verifies. */
export async function requireValidSignature(env: ParsedEnvelope, sigPk: Uint8Array): Promise<void> {
  if (!(await envelopeSignatureValid(env, sigPk)))
    fail(
      'HUSH_ERR_INVALID_ENVELOPE',
      'the envelope signature does not verify for its author device',
    );
}
