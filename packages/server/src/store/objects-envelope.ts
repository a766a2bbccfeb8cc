/**
 * What the server can check about an envelope without any key: its canonical structure
 * (PROTOCOL.md section 7: `bytes(header) || bytes(ciphertext) || signature(64)` with a
 * canonical header) and the author device's Ed25519 signature over
 * `str("hush/v1/object-sig") || bytes(header) || SHA-256(ciphertext)`.
 *
 * Parsing and the signature input come from core, so the relay checks exactly the bytes
 * clients sign. Verification runs on libuv's thread
 * pool (node:crypto's callback form), so it uses the second core instead of the event
 * loop: Ed25519 verification costs about 110 µs here, as much as everything else a write
 * does on the main thread.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  decodeHeader,
  envelopeSignatureMessage,
  splitEnvelope,
  type EnvelopeHeader,
} from '@hush/core';
import { nodeBackend } from '@hush/core/node';
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
    const parts = splitEnvelope(bytes);
    return {
      header: decodeHeader(parts.header),
      headerBytes: parts.header,
      ciphertext: parts.ciphertext,
      signature: parts.signature,
    };
  } catch {
    fail('HUSH_ERR_INVALID_ENVELOPE', 'the envelope or its header is not canonically encoded');
  }
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
export async function envelopeSignatureValid(
  env: ParsedEnvelope,
  sigPk: Uint8Array,
): Promise<boolean> {
  if (sigPk.length !== 32) return false;
  const msg = await envelopeSignatureMessage(nodeBackend, env.headerBytes, env.ciphertext);
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
