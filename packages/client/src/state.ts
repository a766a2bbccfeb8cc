/**
 * state.json: everything this device has verified and must remember. Chains are kept as
 * the verified link bytes plus the pin (seq, head) of the last verified head; team keys by
 * generation; cursors; read and acknowledged marks; the refresh and access tokens. Secret
 * values (team keys, the tokens) are sealed with the identity's `stateKey` when the identity is
 * passphrase-wrapped: `"s:" + base64url(nonce(12) || AES-256-GCM(stateKey, nonce,
 * "hush/v1/state", value))`; otherwise stored as `"c:" + base64url(value)` (the file is 0600).
 */
import { fromBase64url, toBase64url, utf8, type CryptoBackend } from '@hush/core';
import { LocalStateError } from './errors.js';

/** A verified chain: its link bytes (base64url) and the pinned head. */
export interface ChainRecord {
  links: string[];
  pin: { seq: number; head: string };
}

/** A verified team object version, cached as ciphertext (re-opened on every read). */
export interface CachedObject {
  seq: number;
  objectId: string;
  version: number;
  collection: number;
  blindIndex: string | null;
  envelope: string;
}

/** A verified direct envelope from the inbox. */
export interface CachedDirect {
  seq: number;
  objectId: string;
  acked: boolean;
  envelope: string;
}

/** What this device knows about one team. */
export interface TeamRecord extends ChainRecord {
  /** Sealed team keys by generation. */
  keys: Record<string, string>;
  cursor: number;
  objects: CachedObject[];
  /** The relay no longer serves this team to us (removed or left): history stays readable. */
  gone?: boolean;
  /**
   * Devices of members, not named as recipients by the chain, that the relay listed as
   * holding a box for `generation` (audit.ts; a hint, kept so it is asked once).
   */
  boxed?: { generation: number; devices: string[] };
}

/** The whole of state.json. */
export interface StateData {
  version: 1;
  server: string;
  refreshToken?: string;
  /** The last access token (sealed like the refresh token) and its expiry, reused until then. */
  accessToken?: string;
  accessExpiresAt?: number;
  principals: Record<string, ChainRecord>;
  teams: Record<string, TeamRecord>;
  inbox: { cursor: number; items: CachedDirect[] };
  read: string[];
  acked: string[];
  eventCursor?: string;
  /**
   * Per absolute path, what `secrets pull` last wrote there: a random salt and
   * SHA-256(salt || file bytes), both base64url (salted, so state.json never holds a plain hash
   * of secret values).
   */
  pulls?: Record<string, { salt: string; hash: string }>;
}

/** A fresh state for a server. */
export function emptyState(server: string): StateData {
  return {
    version: 1,
    server,
    principals: {},
    teams: {},
    inbox: { cursor: 0, items: [] },
    read: [],
    acked: [],
  };
}

/** Checks the shape of a parsed state.json. */
export function parseState(raw: unknown): StateData {
  const s = raw as Partial<StateData> | undefined;
  if (
    !s ||
    s.version !== 1 ||
    typeof s.server !== 'string' ||
    typeof s.principals !== 'object' ||
    typeof s.teams !== 'object' ||
    !s.inbox
  )
    throw new LocalStateError('state.json is corrupt or of an unknown version');
  // Defaults are added without reordering keys, so an unchanged state writes the same text.
  const out = { ...s } as StateData;
  out.read ??= [];
  out.acked ??= [];
  return out;
}

const AAD = utf8('hush/v1/state');

/** Seals and opens secret values kept in state.json. */
export class SecretBox {
  constructor(
    private readonly b: CryptoBackend,
    private readonly key: Uint8Array | undefined,
  ) {}

  async seal(value: Uint8Array): Promise<string> {
    if (!this.key) return 'c:' + toBase64url(value);
    const nonce = this.b.randomBytes(12);
    const ct = await this.b.aesGcmSeal(this.key, nonce, AAD, value);
    const out = new Uint8Array(12 + ct.length);
    out.set(nonce);
    out.set(ct, 12);
    return 's:' + toBase64url(out);
  }

  async open(text: string): Promise<Uint8Array> {
    if (text.startsWith('c:')) return fromBase64url(text.slice(2));
    if (!text.startsWith('s:') || !this.key)
      throw new LocalStateError('state.json holds a sealed value this identity cannot open');
    const raw = fromBase64url(text.slice(2));
    try {
      return await this.b.aesGcmOpen(this.key, raw.subarray(0, 12), AAD, raw.subarray(12));
    } catch {
      throw new LocalStateError('a sealed value in state.json did not open');
    }
  }
}
