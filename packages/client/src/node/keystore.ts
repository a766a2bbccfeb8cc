/**
 * identity.json on Node: the record format is `identity.ts`; this file adds scrypt from
 * node:crypto (the passphrase KDF) and reading and writing the file at a path.
 */
import { scrypt as scryptCb } from 'node:crypto';
import { nodeBackend as b } from '@hush/core/node';
import {
  decodeIdentity,
  encodeIdentity,
  isWrapped,
  type Identity,
  type PassphraseKdf,
} from '../identity.js';
import { readJson, writeJsonAtomic } from './atomic.js';

export { SCRYPT, type Identity } from '../identity.js';

/** scrypt from node:crypto (NFC-normalised passphrase, 32-byte key). */
export const nodeScrypt: PassphraseKdf = (pass, salt, { N, r, p }) =>
  new Promise((resolve, reject) =>
    scryptCb(
      pass.normalize('NFC'),
      salt,
      32,
      { N, r, p, maxmem: 256 * N * r + 1024 * 1024 },
      (e, k) => (e ? reject(e) : resolve(new Uint8Array(k))),
    ),
  );

/** Writes identity.json (atomic, 0600); wraps the secrets when a passphrase is given. */
export async function saveIdentity(
  file: string,
  id: Omit<Identity, 'stateKey'>,
  passphrase?: string,
): Promise<Identity> {
  const { file: out, identity } = await encodeIdentity(b, id, passphrase, nodeScrypt);
  await writeJsonAtomic(file, out);
  return identity;
}

/** Whether identity.json at `file` is passphrase-wrapped (undefined when there is none). */
export async function identityIsWrapped(file: string): Promise<boolean | undefined> {
  const raw = await readJson(file);
  return raw === undefined ? undefined : isWrapped(raw);
}

/** Loads identity.json; a wrong or missing passphrase is a LocalStateError. */
export async function loadIdentity(file: string, passphrase?: string): Promise<Identity> {
  return decodeIdentity(b, await readJson(file), file, passphrase, nodeScrypt);
}
