/**
 * The identity record (identity.json): this device's private keys, in clear base64url or
 * wrapped with a passphrase. Wrapping: key = scrypt(passphrase, salt(16), N=2^17, r=8, p=1,
 * 32 bytes); ct = AES-256-GCM(key, nonce(12), aad = "hush/v1/keystore", JSON of the secrets).
 * A wrapped identity also holds a random `stateKey` that seals the team keys in state.json,
 * so opening with the passphrase unlocks both with one scrypt run.
 *
 * scrypt is not in WebCrypto, so the passphrase KDF is a platform capability: the Node entry
 * provides it (node:crypto); without it a passphrase is refused rather than replaced by a
 * weaker KDF.
 */
import {
  deviceId,
  equalBytes,
  fromBase64url,
  toBase64url,
  utf8,
  fromUtf8,
  type CryptoBackend,
  type DeviceSecretKeys,
} from '@hush/core';
import { LocalStateError, UsageError } from './errors.js';

/** scrypt cost parameters (fixed by docs/CLIENT.md). */
export const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const AAD = utf8('hush/v1/keystore');

/** scrypt(passphrase, salt, N, r, p) to 32 bytes. */
export type PassphraseKdf = (
  passphrase: string,
  salt: Uint8Array,
  cost: { readonly N: number; readonly r: number; readonly p: number },
) => Promise<Uint8Array>;

/** What identity.json holds once opened. */
export interface Identity {
  readonly principalId: Uint8Array;
  readonly device: DeviceSecretKeys;
  readonly kind: 'human' | 'agent';
  readonly name: string;
  /** Seals secrets in state.json; present only for a passphrase-wrapped identity. */
  readonly stateKey: Uint8Array | undefined;
}

interface Secrets {
  sigSeed: string;
  kemSk: string;
  stateKey?: string;
}

/** The JSON form of the identity record. */
export interface IdentityFile {
  version: 1;
  principalId: string;
  deviceId: string;
  kind: 'human' | 'agent';
  name: string;
  sigPk: string;
  kemPk: string;
  clear?: Secrets;
  wrapped?: {
    kdf: 'scrypt';
    N: number;
    r: number;
    p: number;
    salt: string;
    nonce: string;
    ct: string;
  };
}

function needKdf(kdf: PassphraseKdf | undefined, what: string): PassphraseKdf {
  if (!kdf)
    throw new UsageError(
      `${what} needs scrypt, which this platform lacks (use the Node entry of @hush/client)`,
    );
  return kdf;
}

/** Builds the identity record; wraps the secrets when a passphrase is given. */
export async function encodeIdentity(
  b: CryptoBackend,
  id: Omit<Identity, 'stateKey'>,
  passphrase?: string,
  kdf?: PassphraseKdf,
): Promise<{ file: IdentityFile; identity: Identity }> {
  const base = {
    version: 1 as const,
    principalId: toBase64url(id.principalId),
    deviceId: toBase64url(id.device.id),
    kind: id.kind,
    name: id.name,
    sigPk: toBase64url(id.device.sigPk),
    kemPk: toBase64url(id.device.kemPk),
  };
  const secrets: Secrets = {
    sigSeed: toBase64url(id.device.sigSeed),
    kemSk: toBase64url(id.device.kemSk),
  };
  if (passphrase === undefined)
    return { file: { ...base, clear: secrets }, identity: { ...id, stateKey: undefined } };
  const scrypt = needKdf(kdf, 'a passphrase-protected identity');
  const stateKey = b.randomBytes(32);
  secrets.stateKey = toBase64url(stateKey);
  const salt = b.randomBytes(16);
  const nonce = b.randomBytes(12);
  const key = await scrypt(passphrase, salt, SCRYPT);
  const ct = await b.aesGcmSeal(key, nonce, AAD, utf8(JSON.stringify(secrets)));
  const wrapped = {
    kdf: 'scrypt' as const,
    ...SCRYPT,
    salt: toBase64url(salt),
    nonce: toBase64url(nonce),
    ct: toBase64url(ct),
  };
  return { file: { ...base, wrapped }, identity: { ...id, stateKey } };
}

/** Whether an identity record is passphrase-wrapped. */
export function isWrapped(raw: unknown): boolean {
  return (raw as IdentityFile | undefined)?.wrapped !== undefined;
}

/**
 * Opens an identity record (`where` names it in messages); a wrong or missing passphrase,
 * or keys that do not match the device id, is a LocalStateError.
 */
export async function decodeIdentity(
  b: CryptoBackend,
  record: unknown,
  where: string,
  passphrase?: string,
  kdf?: PassphraseKdf,
): Promise<Identity> {
  const raw = record as IdentityFile | undefined;
  if (raw === undefined) throw new LocalStateError(`no hush identity at ${where}: run init first`);
  try {
    if (raw.version !== 1) throw new LocalStateError('identity.json has an unknown version');
    let secrets: Secrets;
    if (raw.wrapped) {
      if (passphrase === undefined)
        throw new LocalStateError('identity is protected by a passphrase: give the passphrase');
      const w = raw.wrapped;
      if (w.kdf !== 'scrypt') throw new LocalStateError('identity.json uses an unknown KDF');
      const key = await needKdf(kdf, 'opening a passphrase-protected identity')(
        passphrase,
        fromBase64url(w.salt),
        { N: w.N, r: w.r, p: w.p },
      );
      let pt: Uint8Array;
      try {
        pt = await b.aesGcmOpen(key, fromBase64url(w.nonce), AAD, fromBase64url(w.ct));
      } catch {
        throw new LocalStateError('wrong passphrase (or identity.json was altered)');
      }
      secrets = JSON.parse(fromUtf8(pt)) as Secrets;
    } else if (raw.clear) {
      secrets = raw.clear;
    } else throw new LocalStateError('identity.json holds no keys');
    const sigSeed = fromBase64url(secrets.sigSeed);
    const kemSk = fromBase64url(secrets.kemSk);
    const sigPk = await b.ed25519PublicKey(sigSeed);
    const kemPk = await b.x25519PublicKey(kemSk);
    const id = await deviceId(b, { sigPk, kemPk });
    if (
      !equalBytes(id, fromBase64url(raw.deviceId)) ||
      !equalBytes(sigPk, fromBase64url(raw.sigPk))
    )
      throw new LocalStateError('identity.json keys do not match its device id');
    return {
      principalId: fromBase64url(raw.principalId),
      device: { sigSeed, sigPk, kemSk, kemPk, id },
      kind: raw.kind === 'agent' ? 'agent' : 'human',
      name: raw.name ?? '',
      stateKey: secrets.stateKey ? fromBase64url(secrets.stateKey) : undefined,
    };
  } catch (e) {
    if (e instanceof LocalStateError || e instanceof UsageError) throw e;
    throw new LocalStateError(`identity.json is unreadable: ${(e as Error).message}`);
  }
}
