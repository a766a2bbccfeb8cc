/**
 * Key boxes: a team key generation wrapped with HPKE to one recipient (a device, or a
 * pending invite's key). The box names team, generation and recipient both in its fields
 * and in the HPKE info, so a box moved to another device, team or generation fails to
 * open; the opened key is then checked against the commitment in the team chain.
 *
 * KeyBox = u8 1 || teamId(32) || u32 generation || recipientId(32) || enc(32) || bytes(ct)
 * info   = str("hush/v1/keybox") || teamId || u32 generation || recipientId, aad = empty
 */
import type { CryptoBackend } from './backend/types.js';
import { equalBytes } from './bytes.js';
import { Reader, Writer } from './encoding/canonical.js';
import { HushError } from './errors.js';
import { hpkeOpen, hpkeSeal } from './hpke/index.js';
import { asTeamKey, type TeamKey } from './keys.js';
import { LABEL, labelled } from './labels.js';
import { checkKeyCommitment } from './team-key.js';

/** Why a key box was refused. */
export type KeyBoxFailure = 'encoding' | 'wrong-context' | 'open' | 'commitment';

/** A key box could not be used. */
export class KeyBoxError extends HushError {
  readonly reason: KeyBoxFailure;
  constructor(reason: KeyBoxFailure, message: string) {
    super('KEY_BOX', message);
    this.reason = reason;
  }
}

/** The parsed fields of a key box. */
export interface KeyBox {
  readonly teamId: Uint8Array;
  readonly generation: number;
  readonly recipientId: Uint8Array;
  readonly enc: Uint8Array;
  readonly ct: Uint8Array;
}

function info(teamId: Uint8Array, generation: number, recipientId: Uint8Array): Uint8Array {
  return labelled(LABEL.keyBox).fixed(teamId, 32).u32(generation).fixed(recipientId, 32).finish();
}

/** Canonical bytes of a key box. */
export function encodeKeyBox(box: KeyBox): Uint8Array {
  return new Writer()
    .u8(1)
    .fixed(box.teamId, 32)
    .u32(box.generation)
    .fixed(box.recipientId, 32)
    .fixed(box.enc, 32)
    .bytes(box.ct)
    .finish();
}

/** Parses a key box; throws KeyBoxError('encoding') for anything non-canonical. */
export function decodeKeyBox(bytes: Uint8Array): KeyBox {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== 1) throw new Error('version');
    const box = {
      teamId: r.fixed(32),
      generation: r.u32(),
      recipientId: r.fixed(32),
      enc: r.fixed(32),
      ct: r.bytes(48),
    };
    r.end();
    if (box.ct.length !== 48) throw new Error('length');
    return box;
  } catch {
    throw new KeyBoxError('encoding', 'key box is not canonically encoded');
  }
}

/**
 * Wraps team key generation `generation` to a recipient's X25519 public key.
 * @example const bytes = await sealKeyBox(backend, teamId, 2, key, device.id, device.kemPk);
 */
export async function sealKeyBox(
  b: CryptoBackend,
  teamId: Uint8Array,
  generation: number,
  key: TeamKey,
  recipientId: Uint8Array,
  recipientKemPk: Uint8Array,
): Promise<Uint8Array> {
  const { enc, ct } = await hpkeSeal(
    b,
    recipientKemPk,
    info(teamId, generation, recipientId),
    new Uint8Array(0),
    key,
  );
  return encodeKeyBox({ teamId, generation, recipientId, enc, ct });
}

/**
 * Opens a key box addressed to this recipient for the expected team and generation, and
 * checks the key against the commitment from the verified team chain.
 */
export async function openKeyBox(
  b: CryptoBackend,
  bytes: Uint8Array,
  expected: {
    teamId: Uint8Array;
    generation: number;
    recipientId: Uint8Array;
    commitment: Uint8Array;
  },
  recipientKemSk: Uint8Array,
): Promise<TeamKey> {
  const box = decodeKeyBox(bytes);
  if (
    !equalBytes(box.teamId, expected.teamId) ||
    box.generation !== expected.generation ||
    !equalBytes(box.recipientId, expected.recipientId)
  ) {
    throw new KeyBoxError(
      'wrong-context',
      'key box is addressed to another team, generation or device',
    );
  }
  let key: TeamKey;
  try {
    key = asTeamKey(
      await hpkeOpen(
        b,
        recipientKemSk,
        box.enc,
        info(box.teamId, box.generation, box.recipientId),
        new Uint8Array(0),
        box.ct,
      ),
    );
  } catch {
    throw new KeyBoxError('open', 'key box did not open with this device key');
  }
  try {
    await checkKeyCommitment(b, box.generation, key, expected.commitment);
  } catch {
    throw new KeyBoxError(
      'commitment',
      'key box holds a key that does not match the team chain commitment',
    );
  }
  return key;
}
