/**
 * Key walk-back (PROTOCOL.md section 5.3): the holder of generation h's key reads history
 * by opening TK_{h-1} from the rotate link of generation h, and so on down, checking every
 * key against the commitment the chain carries for its generation.
 */
import type { CryptoBackend } from '../backend/types.js';
import type { TeamKey } from '../keys.js';
import { checkKeyCommitment, openPreviousKey } from '../team-key.js';
import { ChainError } from './errors.js';
import type { Generation, TeamState } from './team.js';

/**
 * Returns the key of generation `target` from a known key of a newer (or the same) generation.
 * @example const tk1 = await walkBack(backend, team, { generation: 3, key: tk3 }, 1);
 */
export async function walkBack(
  b: CryptoBackend,
  team: TeamState,
  known: { generation: number; key: TeamKey },
  target: number,
): Promise<TeamKey> {
  const gen = (g: number): Generation => {
    const x = team.generations[g - 1];
    if (!x) throw new ChainError('bad-generation', `generation ${g} is not in the verified chain`);
    return x;
  };
  if (target < 1 || target > known.generation)
    throw new ChainError(
      'bad-generation',
      `cannot walk from generation ${known.generation} to ${target}`,
    );
  await checkKeyCommitment(b, known.generation, known.key, gen(known.generation).keyCommit);
  let key = known.key;
  for (let g = known.generation; g > target; g--) {
    const prevKeyCt = gen(g).prevKeyCt;
    if (!prevKeyCt)
      throw new ChainError('bad-generation', `generation ${g} carries no previous key`);
    key = await openPreviousKey(b, team.id, g, key, prevKeyCt, gen(g - 1).keyCommit);
  }
  return key;
}
