import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authChallengeMessage, invitePreviewMessage } from '../src/auth.js';
import { Writer } from '../src/encoding/canonical.js';

describe('relay authentication messages', () => {
  it('bind label, nonce, ids and the lower-cased host, byte for byte', () => {
    const nonce = new Uint8Array(32).fill(1);
    const dev = new Uint8Array(32).fill(2);
    const expected = new Writer()
      .str('hush/v1/auth')
      .fixed(nonce, 32)
      .fixed(dev, 32)
      .str('hush.example:7474')
      .finish();
    assert.deepEqual(authChallengeMessage(nonce, dev, 'HUSH.example:7474'), expected);
    assert.notDeepEqual(authChallengeMessage(nonce, dev, 'evil.example:7474'), expected);
    const team = new Uint8Array(32).fill(3);
    const inv = new Uint8Array(32).fill(4);
    const preview = new Writer()
      .str('hush/v1/invite-preview')
      .fixed(nonce, 32)
      .fixed(team, 32)
      .fixed(inv, 32)
      .str('h')
      .finish();
    assert.deepEqual(invitePreviewMessage(nonce, team, inv, 'H'), preview);
    assert.throws(() => authChallengeMessage(new Uint8Array(31), dev, 'h'));
  });
});
