/**
 * What an attacker in the tests builds: envelopes re-signed with a member's (or a
 * non-member's) own device key, links signed by a ghost, key boxes sealed by the relay to a
 * member's public key. Keys come from the homes' own files (identity.json without a
 * passphrase, state.json's team keys), as a compromised or colluding party would hold them;
 * the relay alone never has them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asTeamKey,
  decodeHeader,
  encodeHeader,
  envelopeSignatureMessage,
  fromBase64url,
  PrincipalState,
  splitEnvelope,
  TeamState,
  toBase64url,
  toHex,
  Writer,
  type DeviceSecretKeys,
  type EnvelopeHeader,
  type TeamKey,
} from '@hush/core';
import { nodeBackend } from '@hush/core/node';
import type { StateData } from '../../../client/dist/src/state.js';

export const b = nodeBackend;

/** Envelope layout (PROTOCOL.md 7): u32 length || header || u32 length || ciphertext || signature(64). */
export const HEADER_AT = 4;
/** Offsets inside the header (PROTOCOL.md 7.1). */
export const AT = { version: 0, suite: 1, flags: 29, createdAt: 94 } as const;

function state(home: string): StateData {
  return JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as StateData;
}

/** A home's device keys and principal id (identity.json in clear). */
export function identityOf(home: string): { principalId: Uint8Array; device: DeviceSecretKeys } {
  const f = JSON.parse(readFileSync(join(home, 'identity.json'), 'utf8')) as {
    principalId: string;
    deviceId: string;
    sigPk: string;
    kemPk: string;
    clear: { sigSeed: string; kemSk: string };
  };
  return {
    principalId: fromBase64url(f.principalId),
    device: {
      id: fromBase64url(f.deviceId),
      sigPk: fromBase64url(f.sigPk),
      kemPk: fromBase64url(f.kemPk),
      sigSeed: fromBase64url(f.clear.sigSeed),
      kemSk: fromBase64url(f.clear.kemSk),
    },
  };
}

/** The team key of `generation` that a home holds (state.json without a passphrase). */
export function teamKeyOf(home: string, teamId: string, generation: number): TeamKey {
  const sealed = state(home).teams[teamId]?.keys[String(generation)];
  if (!sealed?.startsWith('c:')) throw new Error(`no clear key ${generation} in ${home}`);
  return asTeamKey(fromBase64url(sealed.slice(2)));
}

/** A home's verified principal chains, as states (the resolver team chains need). */
async function principals(home: string): Promise<Map<string, PrincipalState>> {
  const out = new Map<string, PrincipalState>();
  for (const [id, c] of Object.entries(state(home).principals))
    out.set(
      toHex(fromBase64url(id)),
      await PrincipalState.verify(b, c.links.map(fromBase64url), fromBase64url(id)),
    );
  return out;
}

/** The team chain a home verified, as a state one can build the next link on. */
export async function teamStateOf(home: string, teamId: string): Promise<TeamState> {
  const ps = await principals(home);
  const links = state(home).teams[teamId]?.links ?? [];
  return TeamState.verify(b, links.map(fromBase64url), (p) => ps.get(toHex(p)));
}

/** A principal's verified chain in a home, as a state. */
export async function principalStateOf(home: string, id: string): Promise<PrincipalState> {
  const links = state(home).principals[id]?.links ?? [];
  return PrincipalState.verify(b, links.map(fromBase64url), fromBase64url(id));
}

/** The envelope with `edit` applied to its header and signed again with `sigSeed`. */
export async function resign(
  envelope: string,
  edit: (h: EnvelopeHeader) => EnvelopeHeader,
  sigSeed: Uint8Array,
): Promise<string> {
  const parts = splitEnvelope(fromBase64url(envelope));
  const hb = encodeHeader(edit(decodeHeader(parts.header)));
  const sig = await b.ed25519Sign(sigSeed, await envelopeSignatureMessage(b, hb, parts.ciphertext));
  return toBase64url(new Writer().bytes(hb).bytes(parts.ciphertext).fixed(sig, 64).finish());
}

/** The header of an envelope (base64url). */
export function headerOf(envelope: string): EnvelopeHeader {
  return decodeHeader(splitEnvelope(fromBase64url(envelope)).header);
}

/** base64url bytes with one bit flipped at byte `at` (negative: from the end). */
export function flipBit(text: string, at: number, bit = 0): string {
  const raw = fromBase64url(text);
  const i = at < 0 ? raw.length + at : at;
  raw[i] = (raw[i] as number) ^ (1 << bit);
  return toBase64url(raw);
}

/** Where the ciphertext of an envelope starts. */
export function ciphertextAt(envelope: string): number {
  const parts = splitEnvelope(fromBase64url(envelope));
  return HEADER_AT + parts.header.length + 4;
}
