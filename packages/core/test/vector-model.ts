/**
 * How a vector file is interpreted: the one piece of code shared by the generator (which
 * checks that the reference implementation produces each file's `expect`) and the test that
 * runs every checked-in vector against both backends.
 */
import type { CryptoBackend } from '../src/backend/types.js';
import { toHex } from '../src/bytes.js';
import { ChainError } from '../src/chain/errors.js';
import { PrincipalState } from '../src/chain/principal.js';
import { TeamState } from '../src/chain/team.js';
import { fromBase64url as d } from '../src/encoding/base64url.js';
import { openDirectEnvelope } from '../src/envelope/direct.js';
import { EnvelopeError } from '../src/envelope/errors.js';
import { COLLECTION, type Collection, type EnvelopeHeader } from '../src/envelope/header.js';
import { openTeamEnvelope } from '../src/envelope/team.js';
import { EncodingError, HushError } from '../src/errors.js';
import { parseInviteToken } from '../src/invite.js';
import { KeyBoxError, openKeyBox } from '../src/keybox.js';
import type { TeamKey } from '../src/keys.js';
import { openAll } from '../src/stream/all.js';
import { deriveStreamKey } from '../src/stream/key.js';
import { StreamError } from '../src/stream/errors.js';
import { fromBase64url, toBase64url } from '../src/encoding/base64url.js';
import { indexKey } from '../src/blind-index.js';
import { checkEntryIndex, decodeEntryBody, encodeEntryBody } from '../src/bodies/entry.js';
import {
  checkManifestHeader,
  decodeFileManifest,
  encodeFileManifest,
} from '../src/bodies/manifest.js';
import { decodeMessageBody, encodeMessageBody } from '../src/bodies/message.js';
import { decodeSnippetBody, encodeSnippetBody } from '../src/bodies/snippet.js';
import { asTeamKey } from '../src/keys.js';

/** One vector file. Binary fields are canonical base64url. */
export interface Vector {
  readonly description: string;
  readonly kind:
    | 'team-envelope'
    | 'direct-envelope'
    | 'stream'
    | 'principal-chain'
    | 'team-chain'
    | 'key-box'
    | 'base64url'
    | 'invite-token'
    | 'body';
  /** `success` or `<area>.<reason>`, e.g. `envelope.signature`, `chain.bad-prev`. */
  readonly expect: string;
  readonly [field: string]: unknown;
}

/** The failure class of an error, as vectors name it. */
export function failureClass(e: unknown): string {
  if (e instanceof EnvelopeError) return `envelope.${e.reason}`;
  if (e instanceof ChainError) return `chain.${e.reason}`;
  if (e instanceof KeyBoxError) return `keybox.${e.reason}`;
  if (e instanceof StreamError) return `stream.${e.reason}`;
  if (e instanceof EncodingError) return 'encoding';
  if (e instanceof HushError) return e.code.toLowerCase();
  throw e;
}

const s = (v: Vector, k: string): string => {
  const x = v[k];
  if (typeof x !== 'string') throw new Error(`vector field ${k} missing`);
  return x;
};
const bin = (v: Vector, k: string) => d(s(v, k));
const list = (v: Vector, k: string): string[] => v[k] as string[];

async function verifyPrincipals(b: CryptoBackend, v: Vector) {
  const states = new Map<string, PrincipalState>();
  for (const p of v.principals as { id: string; links: string[] }[]) {
    const st = await PrincipalState.verify(b, p.links.map(d), d(p.id));
    states.set(toHex(st.id), st);
  }
  return (id: Uint8Array) => states.get(toHex(id));
}

/**
 * The JSON form of a decoded body, as a vector's `decoded` field holds it: the body's fields
 * by name, binary values as base64url, an absent optional field (`replyTo`, `lines`) as null,
 * keys sorted so that two forms compare as strings.
 */
export function bodyJson(x: unknown): unknown {
  if (x instanceof Uint8Array) return toBase64url(x);
  if (x === undefined) return null;
  if (typeof x !== 'object' || x === null) return x;
  const o = x as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, bodyJson(o[k])]),
  );
}

const OPTIONAL_FIELDS: Partial<Record<number, string>> = {
  [COLLECTION.message]: 'replyTo',
  [COLLECTION.snippet]: 'lines',
};

/** Decodes a body of `collection`, runs its header checks (10.4, 10.5), re-encodes it. */
async function runBody(b: CryptoBackend, v: Vector): Promise<string> {
  const body = bin(v, 'body');
  const collection = v.collection as number;
  const h = v.header as { objectId: string; objectVersion: number; blindIndex: string | null };
  const header = {
    collection: collection as Collection,
    objectId: d(h.objectId),
    objectVersion: h.objectVersion,
    blindIndex: h.blindIndex === null ? undefined : d(h.blindIndex),
  };
  let decoded: object;
  let again: Uint8Array;
  switch (collection) {
    case COLLECTION.message: {
      const m = decodeMessageBody(body);
      [decoded, again] = [m, encodeMessageBody(m)];
      break;
    }
    case COLLECTION.snippet: {
      const s = decodeSnippetBody(body);
      [decoded, again] = [s, encodeSnippetBody(s)];
      break;
    }
    case COLLECTION.kv:
    case COLLECTION.secret: {
      const c = collection === COLLECTION.kv ? 'kv' : 'secret';
      const e = decodeEntryBody(body, c);
      const tk1 = asTeamKey(bin(v, 'teamKey1'));
      await checkEntryIndex(b, (p) => indexKey(b, tk1, bin(v, 'teamId'), p), header, e);
      [decoded, again] = [e, encodeEntryBody(e, c)];
      break;
    }
    case COLLECTION.file: {
      const m = decodeFileManifest(body);
      checkManifestHeader(header, m);
      [decoded, again] = [m, encodeFileManifest(m)];
      break;
    }
    default:
      throw new Error(`vector names unknown collection ${collection}`);
  }
  const optional = OPTIONAL_FIELDS[collection];
  const full = optional && !(optional in decoded) ? { ...decoded, [optional]: null } : decoded;
  if (toHex(again) !== toHex(body)) return 'mismatch';
  return JSON.stringify(bodyJson(full)) === JSON.stringify(bodyJson(v.decoded))
    ? 'success'
    : 'mismatch';
}

/** Runs one vector; resolves to `success` or the failure class. */
export async function runVector(b: CryptoBackend, v: Vector): Promise<string> {
  try {
    switch (v.kind) {
      case 'team-envelope': {
        const keys = v.teamKeys as Record<string, string>;
        const expect = v.served as {
          objectId: string;
          objectVersion: number;
          collection: number;
          blindIndex: string | null;
        };
        const r = await openTeamEnvelope(b, bin(v, 'envelope'), {
          teamId: bin(v, 'teamId'),
          expect: {
            objectId: d(expect.objectId),
            objectVersion: expect.objectVersion,
            collection: expect.collection as Collection,
            blindIndex: expect.blindIndex === null ? null : d(expect.blindIndex),
          },
          authorize: (h: EnvelopeHeader) => {
            if (
              toHex(h.author) !== toHex(bin(v, 'author')) ||
              toHex(h.authorDevice) !== toHex(bin(v, 'authorDevice'))
            )
              throw new Error('not a member device');
            return bin(v, 'authorSigPk');
          },
          keyFor: (g) => {
            const k = keys[String(g)];
            if (!k) throw new Error('no key');
            return d(k) as TeamKey;
          },
        });
        if (toHex(r.body) !== toHex(bin(v, 'body'))) return 'mismatch';
        return 'success';
      }
      case 'direct-envelope': {
        const r = await openDirectEnvelope(b, bin(v, 'envelope'), {
          me: { id: bin(v, 'deviceId'), kemSk: bin(v, 'kemSk'), principal: bin(v, 'principal') },
          authorize: (h) => {
            if (toHex(h.authorDevice) !== toHex(bin(v, 'authorDevice')))
              throw new Error('unknown device');
            return bin(v, 'authorSigPk');
          },
        });
        return toHex(r.body) === toHex(bin(v, 'body')) ? 'success' : 'mismatch';
      }
      case 'stream': {
        const key = await deriveStreamKey(
          b,
          bin(v, 'contentKey'),
          bin(v, 'objectId'),
          v.version as number,
        );
        const pt = await openAll(b, key, bin(v, 'ciphertext'));
        return toHex(await b.sha256(pt)) === toHex(bin(v, 'plaintextSha256'))
          ? 'success'
          : 'mismatch';
      }
      case 'principal-chain':
        await PrincipalState.verify(b, list(v, 'links').map(d), bin(v, 'id'));
        return 'success';
      case 'team-chain': {
        const resolve = await verifyPrincipals(b, v);
        await TeamState.verify(b, list(v, 'links').map(d), resolve, bin(v, 'teamId'));
        return 'success';
      }
      case 'key-box': {
        const key = await openKeyBox(
          b,
          bin(v, 'box'),
          {
            teamId: bin(v, 'teamId'),
            generation: v.generation as number,
            recipientId: bin(v, 'recipientId'),
            commitment: bin(v, 'commitment'),
          },
          bin(v, 'kemSk'),
        );
        return toHex(key) === toHex(bin(v, 'key')) ? 'success' : 'mismatch';
      }
      case 'base64url': {
        const out = fromBase64url(s(v, 'input'));
        return toHex(out) === s(v, 'hex') ? 'success' : 'mismatch';
      }
      case 'invite-token':
        parseInviteToken(s(v, 'token'));
        return 'success';
      case 'body':
        return await runBody(b, v);
    }
  } catch (e) {
    return failureClass(e);
  }
}
