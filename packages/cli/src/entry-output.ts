/** How the secrets and kv commands report authors and writes (explanations on stderr). */
import type { WriteResult } from '@hush/client';
import { note } from './output.js';

/** An author as shown: the display name, else the start of the principal id. */
export function by(a: { principalId: string; name: string }): string {
  return a.name || a.principalId.slice(0, 12);
}

/** One stderr line for a write: `set NAME in ENV: version 3`, or that nothing changed. */
export function wrote(r: WriteResult, verb: string): void {
  const what = r.environment ? `${r.name} in ${r.environment}` : r.name;
  note(
    r.changed
      ? `${verb} ${what}: version ${r.version}`
      : `${what} is unchanged (version ${r.version})`,
  );
}
