/**
 * Invite tokens (PROTOCOL.md section 4.5). The inviter makes a random secret of 128 bits
 * and derives an invite key pair from it; only the public keys go into the chain. The token
 * (chain id + secret) travels out of band. Whoever holds it can sign an acceptance with the
 * invite key and open the key box sealed to the invite; the server, which never sees the
 * secret, can do neither, and the invitee checks the chain against the id in the token.
 *
 * token = "hush_" || base64url(u8 1 || u8 kind || chainId(32) || secret(16))
 * invite keys = deriveDevice(secret, salt = chainId, "hush/v1/invite-sig", "hush/v1/invite-kem")
 */
import type { CryptoBackend } from './backend/types.js';
import { fromBase64url, toBase64url } from './encoding/base64url.js';
import { Reader, Writer } from './encoding/canonical.js';
import { EncodingError } from './errors.js';
import { deriveDevice, inviteId, type DeviceSecretKeys } from './keys.js';
import { LABEL } from './labels.js';

/** What a token admits to: a team, or a principal's device list (device linking). */
export type InviteKind = 'team' | 'device';

/** The decoded contents of an invite token. The secret is a bearer credential. */
export interface InviteToken {
  readonly kind: InviteKind;
  readonly chainId: Uint8Array;
  readonly secret: Uint8Array;
}

const PREFIX = 'hush_';
const KINDS: Record<InviteKind, number> = { team: 1, device: 2 };

/** A new token with a fresh 128-bit secret. */
export function newInviteToken(
  b: CryptoBackend,
  kind: InviteKind,
  chainId: Uint8Array,
): InviteToken {
  return { kind, chainId, secret: b.randomBytes(16) };
}

/**
 * The text form of a token.
 * @example const text = formatInviteToken(newInviteToken(backend, 'team', teamId)); // "hush_AQE..."
 */
export function formatInviteToken(t: InviteToken): string {
  return (
    PREFIX +
    toBase64url(
      new Writer().u8(1).u8(KINDS[t.kind]).fixed(t.chainId, 32).fixed(t.secret, 16).finish(),
    )
  );
}

/** Parses a token; anything malformed raises an EncodingError naming what is wrong. */
export function parseInviteToken(text: string): InviteToken {
  const s = text.trim();
  if (!s.startsWith(PREFIX)) throw new EncodingError('invite token must start with "hush_"');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(s.slice(PREFIX.length));
  } catch {
    throw new EncodingError('invite token is not valid base64url (was it copied whole?)');
  }
  if (bytes.length !== 50)
    throw new EncodingError('invite token has the wrong length (was it copied whole?)');
  const r = new Reader(bytes);
  if (r.u8() !== 1) throw new EncodingError('invite token version is not supported');
  const k = r.u8();
  const kind = (Object.keys(KINDS) as InviteKind[]).find((x) => KINDS[x] === k);
  if (!kind) throw new EncodingError('invite token kind is unknown');
  const token = { kind, chainId: r.fixed(32), secret: r.fixed(16) };
  r.end();
  return token;
}

/** The invite key pair a token derives, plus the invite id its key box is addressed to. */
export async function inviteKeys(
  b: CryptoBackend,
  t: InviteToken,
): Promise<DeviceSecretKeys & { inviteId: Uint8Array }> {
  const keys = await deriveDevice(b, t.secret, t.chainId, LABEL.inviteSig, LABEL.inviteKem);
  return { ...keys, inviteId: await inviteId(b, keys.sigPk) };
}
