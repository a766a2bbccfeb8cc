/**
 * What a device signs to authenticate to a relay, and what an invitee signs to read a team
 * it was invited to before joining (PROTOCOL.md section 3.6). Both bind the relay's host,
 * so a malicious relay cannot replay a device's answer to another relay.
 *
 * auth    = Ed25519(device, str("hush/v1/auth") || nonce(32) || deviceId(32) || str(host))
 * preview = Ed25519(invite key, str("hush/v1/invite-preview") || nonce(32) || teamId(32) || inviteId(32) || str(host))
 */
import { expectBytes } from './bytes.js';
import { LABEL, labelled } from './labels.js';

/** The message a device signs to answer a relay's challenge. */
export function authChallengeMessage(
  nonce: Uint8Array,
  deviceId: Uint8Array,
  host: string,
): Uint8Array {
  return labelled(LABEL.auth)
    .fixed(expectBytes('nonce', nonce, 32), 32)
    .fixed(deviceId, 32)
    .str(host.toLowerCase())
    .finish();
}

/** The message an invite key signs to read the team chain and its own key box before accepting. */
export function invitePreviewMessage(
  nonce: Uint8Array,
  teamId: Uint8Array,
  inviteId: Uint8Array,
  host: string,
): Uint8Array {
  return labelled(LABEL.invitePreview)
    .fixed(expectBytes('nonce', nonce, 32), 32)
    .fixed(teamId, 32)
    .fixed(inviteId, 32)
    .str(host.toLowerCase())
    .finish();
}
