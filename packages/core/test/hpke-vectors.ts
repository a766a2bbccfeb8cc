/**
 * Loads test/fixtures/hpke-rfc9180.json (published RFC 9180 mode_base vectors for the
 * X25519 / HKDF-SHA256 suites) and the test-only AEADs needed to replay their
 * ciphertexts: RFC 9180 has no vector for hush's AES-256-GCM suite, so the published
 * AES-128-GCM and ChaCha20-Poly1305 ciphertexts are recomputed here with node:crypto from
 * the key and nonce hush derives. Nothing here is used outside tests.
 */
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hpkeSuiteId, type KeyScheduleSuite } from '../src/hpke/suite.js';

export interface VectorEncryption {
  seq: number;
  aad: string;
  nonce: string;
  pt: string;
  ct: string;
}

export interface VectorExport {
  exporter_context: string;
  L: number;
  exported_value: string;
}

export interface Rfc9180Vector {
  name: string;
  appendix: string;
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmE: string;
  pkEm: string;
  skEm: string;
  ikmR: string;
  pkRm: string;
  skRm: string;
  enc: string;
  shared_secret: string;
  key_schedule_context: string;
  secret: string;
  key: string;
  base_nonce: string;
  exporter_secret: string;
  encryptions: VectorEncryption[];
  exports: VectorExport[];
}

export interface Rfc9180Fixture {
  source: string;
  note: string;
  vectors: Rfc9180Vector[];
}

/** The fixture, read from the source tree (tsc does not copy JSON into dist). */
export function loadRfc9180Fixture(): Rfc9180Fixture {
  const url = new URL('../../test/fixtures/hpke-rfc9180.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Rfc9180Fixture;
}

const AEADS: Record<number, { nk: number; cipher: 'aes-128-gcm' | 'chacha20-poly1305' }> = {
  1: { nk: 16, cipher: 'aes-128-gcm' },
  3: { nk: 32, cipher: 'chacha20-poly1305' },
};

/** Key schedule parameters of a vector's suite (only aead_id and Nk differ from hush's). */
export function vectorSuite(v: Rfc9180Vector): KeyScheduleSuite {
  const aead = AEADS[v.aead_id];
  if (!aead) throw new Error(`no test AEAD for aead_id ${v.aead_id}`);
  return { id: hpkeSuiteId(v.kem_id, v.kdf_id, v.aead_id), nk: aead.nk, nn: 12 };
}

/** Seals with the vector's own AEAD (test-only, node:crypto): ciphertext || 16-byte tag. */
export function vectorAeadSeal(
  v: Rfc9180Vector,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
): Uint8Array {
  const aead = AEADS[v.aead_id];
  if (!aead) throw new Error(`no test AEAD for aead_id ${v.aead_id}`);
  const c =
    aead.cipher === 'aes-128-gcm'
      ? createCipheriv(aead.cipher, key, nonce, { authTagLength: 16 })
      : createCipheriv(aead.cipher, key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}
