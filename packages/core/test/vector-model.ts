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
import type { Collection, EnvelopeHeader } from '../src/envelope/header.js';
import { openTeamEnvelope } from '../src/envelope/team.js';
import { EncodingError, HushError } from '../src/errors.js';
import { parseInviteToken } from '../src/invite.js';
import { KeyBoxError, openKeyBox } from '../src/keybox.js';
import type { TeamKey } from '../src/keys.js';
import { openAll } from '../src/stream/all.js';
import { deriveStreamKey } from '../src/stream/key.js';
import { StreamError } from '../src/stream/errors.js';
import { fromBase64url } from '../src/encoding/base64url.js';

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
    | 'invite-token';
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
    }
  } catch (e) {
    return failureClass(e);
  }
}
