/**
 * The one HPKE suite hush uses (RFC 9180 section 7): DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-256-GCM, mode_base. Sizes and identifiers live here so every other
 * file names them instead of repeating numbers.
 */

/** KEM id of DHKEM(X25519, HKDF-SHA256) (RFC 9180 section 7.1). */
export const KEM_ID = 0x0020;
/** KDF id of HKDF-SHA256 (RFC 9180 section 7.2). */
export const KDF_ID = 0x0001;
/** AEAD id of AES-256-GCM (RFC 9180 section 7.3). */
export const AEAD_ID = 0x0002;
/** mode_base (RFC 9180 section 5). */
export const MODE_BASE = 0x00;

/** Nsecret, Nenc, Npk, Nsk of DHKEM(X25519, HKDF-SHA256): all 32 bytes. */
export const X25519_LEN = 32;
/** Nh of HKDF-SHA256. */
export const NH = 32;
/** AES-256-GCM key length (Nk). */
export const NK = 32;
/** AES-256-GCM nonce length (Nn). */
export const NN = 12;
/** AES-256-GCM tag length (Nt). */
export const NT = 16;

/** Big-endian two-byte encoding, I2OSP(n, 2). */
export function i2osp2(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** suite_id of the KEM: "KEM" || I2OSP(kem_id, 2) (RFC 9180 section 4.1). */
export const KEM_SUITE_ID: Uint8Array = Uint8Array.of(...ascii('KEM'), ...i2osp2(KEM_ID));

/**
 * Builds the key schedule suite_id "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) ||
 * I2OSP(aead_id, 2) (RFC 9180 section 5.1).
 */
export function hpkeSuiteId(kemId: number, kdfId: number, aeadId: number): Uint8Array {
  return Uint8Array.of(...ascii('HPKE'), ...i2osp2(kemId), ...i2osp2(kdfId), ...i2osp2(aeadId));
}

/**
 * What the key schedule needs to know about a suite. hush has exactly one
 * ({@link HUSH_SUITE}); the type exists so tests can replay the RFC 9180 key-schedule
 * vectors of the neighbouring X25519 suites, whose only differences are aead_id and Nk.
 */
export interface KeyScheduleSuite {
  /** The 10-byte key schedule suite_id. */
  readonly id: Uint8Array;
  /** AEAD key length. */
  readonly nk: number;
  /** AEAD nonce length. */
  readonly nn: number;
}

/** The hush suite: 0x0020 / 0x0001 / 0x0002. */
export const HUSH_SUITE: KeyScheduleSuite = {
  id: hpkeSuiteId(KEM_ID, KDF_ID, AEAD_ID),
  nk: NK,
  nn: NN,
};

/** The "HPKE-v1" version label prefixed to every labeled KDF input (RFC 9180 section 4). */
export const HPKE_V1: Uint8Array = ascii('HPKE-v1');

/** A label as bytes; labels are fixed ASCII strings from RFC 9180. */
export function label(s: string): Uint8Array {
  return ascii(s);
}
