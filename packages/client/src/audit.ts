/**
 * The write audit (PROTOCOL.md section 5.5, docs/CLIENT.md step 4): the current
 * generation's recipients must each be an active device of a current member, or an invite
 * that is open or was accepted. Anything else (a revoked device, a removed member's device,
 * an invite that expired unused) still holds the key: the team must rotate before anyone
 * writes under it. A pending rotation after a member left is refused for writing too.
 */
import { equalBytes, toBase64url, type PrincipalResolver, type TeamState } from '@hush/core';

/** What the audit found; `ok` when writing under the current generation is allowed. */
export interface AuditResult {
  readonly ok: boolean;
  readonly rotationPending: boolean;
  /** One line per stale key holder (device or invite id, shortened). */
  readonly problems: readonly string[];
}

/** Audits a verified team against the verified principal chains of its members. */
export function auditTeam(
  st: TeamState,
  resolve: PrincipalResolver,
  now = Date.now(),
): AuditResult {
  const problems: string[] = [];
  const active = [...st.members.values()].flatMap(
    (m) => resolve(m.principal)?.activeDevices() ?? [],
  );
  for (const r of st.current.recipients) {
    if (active.some((d) => equalBytes(d.id, r))) continue;
    const inv = st.invite(r);
    if (inv && (inv.used || inv.expires >= now)) continue;
    problems.push(
      `${inv ? 'expired invite' : 'device'} ${toBase64url(r).slice(0, 10)} still holds the current key`,
    );
  }
  return {
    ok: problems.length === 0 && !st.rotationPending,
    rotationPending: st.rotationPending,
    problems,
  };
}
