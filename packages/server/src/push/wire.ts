/**
 * The fan-out wire format shared by the PostgreSQL and NATS buses: a JSON message
 * `{"o": origin, "n": [[id, teamId|null, principalId|null], ...]}`. The origin is a random id
 * per process, so a process ignores its own messages (it delivered them locally already).
 * Notices are wake-ups, so several for one scope collapse into the one with the highest id.
 */
import type { EventNotice } from '../context.js';

/** A notice naming no scope and the highest id: every hub re-reads the event log. */
export const WAKE_ALL: EventNotice = {
  id: Number.MAX_SAFE_INTEGER,
  teamId: null,
  principalId: null,
};

type WireNotice = [number, string | null, string | null];

/** Encodes notices into messages of at most `maxBytes` each. */
export function encodeNotices(
  origin: string,
  notices: readonly EventNotice[],
  maxBytes: number,
): string[] {
  const byScope = new Map<string, WireNotice>();
  for (const n of notices) {
    const key = `${n.teamId ?? ''}|${n.principalId ?? ''}`;
    const prev = byScope.get(key);
    if (!prev || prev[0] < n.id) byScope.set(key, [n.id, n.teamId, n.principalId]);
  }
  const head = `{"o":${JSON.stringify(origin)},"n":[`;
  const out: string[] = [];
  let parts: string[] = [];
  let size = head.length + 2;
  for (const w of byScope.values()) {
    const s = JSON.stringify(w);
    if (parts.length > 0 && size + s.length + 1 > maxBytes) {
      out.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = head.length + 2;
    }
    parts.push(s);
    size += s.length + 1;
  }
  if (parts.length > 0) out.push(`${head}${parts.join(',')}]}`);
  return out;
}

function scope(v: unknown): v is string | null {
  return v === null || (typeof v === 'string' && v.length <= 128);
}

/** Decodes a message; undefined when it is not one of ours. */
export function decodeNotices(
  text: string,
): { origin: string; notices: EventNotice[] } | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { o, n } = (msg ?? {}) as { o?: unknown; n?: unknown };
  if (typeof o !== 'string' || !Array.isArray(n)) return undefined;
  const notices: EventNotice[] = [];
  for (const w of n) {
    if (!Array.isArray(w) || w.length !== 3) return undefined;
    const [id, teamId, principalId] = w as unknown[];
    if (!Number.isSafeInteger(id) || (id as number) < 1 || !scope(teamId) || !scope(principalId))
      return undefined;
    notices.push({ id: id as number, teamId, principalId });
  }
  return { origin: o, notices };
}
