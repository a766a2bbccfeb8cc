/**
 * Team key generations (PROTOCOL.md section 5): the key commitment carried in the chain,
 * the previous generation's key sealed under the new one (walk-back), and small encrypted
 * fields such as the team name and member names.
 */
import type { CryptoBackend } from './backend/types.js';
import { concat, equalBytes, expectBytes } from './bytes.js';
import { Reader } from './encoding/canonical.js';
import { EncodingError, HushError, OpenError } from './errors.js';
import { hkdf } from './kdf.js';
import { asTeamKey, type TeamKey } from './keys.js';
import { LABEL, labelled } from './labels.js';

/** A team key did not match its commitment, or walk-back failed. */
export class TeamKeyError extends HushError {
  constructor(message: string) {
    super('TEAM_KEY', message);
  }
}

/** Generates a fresh random team key. */
export function generateTeamKey(b: CryptoBackend): TeamKey {
  return asTeamKey(b.randomBytes(32));
}

/** keyCommit(g, TK) = SHA-256(str("hush/v1/key-commit") || u32 g || TK). */
export function keyCommitment(
  b: CryptoBackend,
  generation: number,
  key: TeamKey,
): Promise<Uint8Array> {
  return b.sha256(labelled(LABEL.keyCommit).u32(generation).fixed(key, 32).finish());
}

/** Throws TeamKeyError unless `key` matches the commitment for `generation`. */
export async function checkKeyCommitment(
  b: CryptoBackend,
  generation: number,
  key: TeamKey,
  commitment: Uint8Array,
): Promise<void> {
  if (!equalBytes(await keyCommitment(b, generation, key), commitment)) {
    throw new TeamKeyError(`team key does not match the commitment for generation ${generation}`);
  }
}

const ZERO_NONCE = new Uint8Array(12);

async function prevKeyParams(
  b: CryptoBackend,
  teamId: Uint8Array,
  generation: number,
  key: TeamKey,
) {
  const ctx = labelled(LABEL.prevKey).fixed(teamId, 32).u32(generation).finish();
  return { k: await hkdf(b, key, teamId, ctx, 32), aad: ctx };
}

/**
 * Seals TK_{g-1} under TK_g: AES-256-GCM(HKDF(TK_g, teamId, info), 0^12, info, TK_{g-1}) with
 * info = str("hush/v1/prev-key") || teamId || u32 g. The derived key is used exactly once.
 */
export async function sealPreviousKey(
  b: CryptoBackend,
  teamId: Uint8Array,
  generation: number,
  key: TeamKey,
  previous: TeamKey,
): Promise<Uint8Array> {
  const { k, aad } = await prevKeyParams(b, teamId, generation, key);
  return b.aesGcmSeal(k, ZERO_NONCE, aad, previous);
}

/** Opens TK_{g-1} from the rotate link of generation g and checks it against its commitment. */
export async function openPreviousKey(
  b: CryptoBackend,
  teamId: Uint8Array,
  generation: number,
  key: TeamKey,
  sealed: Uint8Array,
  previousCommitment: Uint8Array,
): Promise<TeamKey> {
  const { k, aad } = await prevKeyParams(b, teamId, generation, key);
  let prev: TeamKey;
  try {
    prev = asTeamKey(await b.aesGcmOpen(k, ZERO_NONCE, aad, sealed));
  } catch {
    throw new TeamKeyError(`previous key of generation ${generation} did not open`);
  }
  await checkKeyCommitment(b, generation - 1, prev, previousCommitment);
  return prev;
}

/** What an encrypted team field holds; part of its associated data. */
export type TeamFieldPurpose = 'team-name' | 'member-name';

async function fieldKey(b: CryptoBackend, key: TeamKey, generation: number) {
  return hkdf(b, key, new Uint8Array(0), labelled(LABEL.teamField).u32(generation).finish(), 32);
}

function fieldAad(purpose: TeamFieldPurpose, generation: number, context: Uint8Array) {
  return labelled(LABEL.teamField).str(purpose).u32(generation).fixed(context, 32).finish();
}

/**
 * Encrypts a short field (team or member name) under generation g:
 * u32 g || nonce(12) || AES-256-GCM(HKDF(TK_g, "", str("hush/v1/team-field") || u32 g), nonce,
 * str("hush/v1/team-field") || str(purpose) || u32 g || context, value). `context` is 32 bytes:
 * the member's principal id for member names, zero for the team name.
 */
export async function sealTeamField(
  b: CryptoBackend,
  key: TeamKey,
  generation: number,
  purpose: TeamFieldPurpose,
  context: Uint8Array,
  value: Uint8Array,
): Promise<Uint8Array> {
  expectBytes('context', context, 32);
  const nonce = b.randomBytes(12);
  const ct = await b.aesGcmSeal(
    await fieldKey(b, key, generation),
    nonce,
    fieldAad(purpose, generation, context),
    value,
  );
  return concat(u32(generation), nonce, ct);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** The generation an encrypted team field was sealed under. */
export function teamFieldGeneration(sealed: Uint8Array): number {
  if (sealed.length < 4 + 12 + 16) throw new EncodingError('encrypted field too short');
  return new Reader(sealed.subarray(0, 4)).u32();
}

/** Opens a field sealed by sealTeamField with the key of the generation it names. */
export async function openTeamField(
  b: CryptoBackend,
  key: TeamKey,
  purpose: TeamFieldPurpose,
  context: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  const generation = teamFieldGeneration(sealed);
  try {
    return await b.aesGcmOpen(
      await fieldKey(b, key, generation),
      sealed.subarray(4, 16),
      fieldAad(purpose, generation, expectBytes('context', context, 32)),
      sealed.subarray(16),
    );
  } catch (e) {
    if (e instanceof OpenError) throw new OpenError(`encrypted ${purpose} did not authenticate`);
    throw e;
  }
}
