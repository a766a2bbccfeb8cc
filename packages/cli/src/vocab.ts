/**
 * Words the CLI offers as choices in help and completion. They mirror @hush/core (roles:
 * ROLE in chain/roles.ts; message fields: PROTOCOL.md 10.2) without importing it at startup;
 * test/vocab.test.ts checks they still agree.
 */
import type { RoleName } from '@hush/core';

export const ROLES = [
  'owner',
  'admin',
  'writer',
  'reader',
  'agent',
] as const satisfies readonly RoleName[];
export const MESSAGE_TYPES = ['request', 'response', 'notification'] as const;
export const PRIORITIES = ['normal', 'urgent', 'blocking'] as const;

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a duration such as `90s`, `30m`, `24h`, `7d` or `2w` into milliseconds; undefined
 * when malformed.
 *
 * @example
 * parseDuration('7d'); // 604800000
 */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d{1,6})([smhdw])$/.exec(s.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2] as string];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}
