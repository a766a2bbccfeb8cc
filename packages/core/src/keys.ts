/**
 * Branded key types, so a key made for one purpose cannot be passed where another is
 * expected (a stream key where a team key goes, say), and device key material.
 */
import type { CryptoBackend } from './backend/types.js';
import { expectBytes } from './bytes.js';
import { ArgumentError } from './errors.js';
import { generateX25519KeyPair, deriveX25519KeyPair } from './hpke/index.js';
import { hkdf } from './kdf.js';
import { LABEL, labelled, taggedHash } from './labels.js';

declare const brand: unique symbol;
/** A byte array tagged with the purpose it was made for. */
export type Branded<T extends string> = Uint8Array & { readonly [brand]: T };

/** A team key generation TK_g: 32 random bytes. */
export type TeamKey = Branded<'TeamKey'>;
/** A per-object content key derived from a team key or a direct-message key. */
export type ContentKey = Branded<'ContentKey'>;
/** The random key of one direct envelope, wrapped to every recipient device. */
export type DirectKey = Branded<'DirectKey'>;
/** A blind-index key for one purpose. */
export type IndexKey = Branded<'IndexKey'>;

/** Tags 32 bytes as a team key (e.g. after opening a key box). */
export function asTeamKey(b: Uint8Array): TeamKey {
  return expectBytes('team key', b, 32) as TeamKey;
}

/** A device's public keys: Ed25519 for signing, X25519 for receiving key boxes. */
export interface DevicePublicKeys {
  readonly sigPk: Uint8Array;
  readonly kemPk: Uint8Array;
}

/** A device's private keys (never leave the device except wrapped). */
export interface DeviceSecretKeys extends DevicePublicKeys {
  readonly sigSeed: Uint8Array;
  readonly kemSk: Uint8Array;
  /** deviceId(sigPk, kemPk). */
  readonly id: Uint8Array;
}

/**
 * Device id = SHA-256(str("hush/v1/device-id") || sigPk || kemPk).
 * @example const id = await deviceId(backend, { sigPk, kemPk });
 */
export function deviceId(b: CryptoBackend, keys: DevicePublicKeys): Promise<Uint8Array> {
  expectBytes('sigPk', keys.sigPk, 32);
  expectBytes('kemPk', keys.kemPk, 32);
  return b.sha256(labelled(LABEL.deviceId).fixed(keys.sigPk, 32).fixed(keys.kemPk, 32).finish());
}

async function assemble(
  b: CryptoBackend,
  sigSeed: Uint8Array,
  kem: { privateKey: Uint8Array; publicKey: Uint8Array },
) {
  const sigPk = await b.ed25519PublicKey(sigSeed);
  const id = await deviceId(b, { sigPk, kemPk: kem.publicKey });
  return { sigSeed, sigPk, kemSk: kem.privateKey, kemPk: kem.publicKey, id };
}

/**
 * Generates a new device's keys from the backend's random source.
 * @example const device = await generateDevice(backend);
 */
export async function generateDevice(b: CryptoBackend): Promise<DeviceSecretKeys> {
  return assemble(b, b.randomBytes(32), await generateX25519KeyPair(b));
}

/**
 * Derives device keys from a secret (recovery secret or invite secret):
 * sigSeed = HKDF(secret, salt, str(sigLabel)), kem = DeriveKeyPair(HKDF(secret, salt, str(kemLabel))).
 */
export async function deriveDevice(
  b: CryptoBackend,
  secret: Uint8Array,
  salt: Uint8Array,
  sigLabel: string,
  kemLabel: string,
): Promise<DeviceSecretKeys> {
  const sigSeed = await hkdf(b, secret, salt, labelled(sigLabel).finish(), 32);
  const kemIkm = await hkdf(b, secret, salt, labelled(kemLabel).finish(), 32);
  return assemble(b, sigSeed, await deriveX25519KeyPair(b, kemIkm));
}

/** The recovery device for a recovery secret (at least 16 bytes; the CLI uses 32). */
export function deriveRecoveryDevice(
  b: CryptoBackend,
  secret: Uint8Array,
): Promise<DeviceSecretKeys> {
  if (secret.length < 16) throw new ArgumentError('recovery secret must be at least 16 bytes');
  return deriveDevice(b, secret, new Uint8Array(0), LABEL.recoverySig, LABEL.recoveryKem);
}

/** Invite id = SHA-256(str("hush/v1/invite-id") || inviteSigPk): the key-box recipient id of a pending invite. */
export function inviteId(b: CryptoBackend, inviteSigPk: Uint8Array): Promise<Uint8Array> {
  return taggedHash(b, LABEL.inviteId, expectBytes('inviteSigPk', inviteSigPk, 32));
}
