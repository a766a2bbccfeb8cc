import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../src/bytes.js';
import { HpkeError, OpenError } from '../src/errors.js';
import { hkdf } from '../src/kdf.js';
import { backends } from './backends.js';

for (const b of backends) {
  describe(`backend ${b.name}`, () => {
    it('Ed25519 matches RFC 8032 test 1 and rejects a modified message', async () => {
      const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
      const pk = await b.ed25519PublicKey(seed);
      assert.equal(toHex(pk), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
      const sig = await b.ed25519Sign(seed, new Uint8Array(0));
      assert.equal(
        toHex(sig),
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      );
      assert.equal(await b.ed25519Verify(pk, new Uint8Array(0), sig), true);
      assert.equal(await b.ed25519Verify(pk, new Uint8Array(1), sig), false);
      assert.equal(await b.ed25519Verify(pk.subarray(1), new Uint8Array(0), sig), false);
    });

    it('X25519 matches RFC 7748 section 6.1 and rejects low-order points', async () => {
      const a = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const bPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      assert.equal(
        toHex(await b.x25519PublicKey(a)),
        '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
      );
      assert.equal(
        toHex(await b.x25519(a, bPub)),
        '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
      );
      await assert.rejects(b.x25519(a, new Uint8Array(32)), HpkeError);
    });

    it('AES-256-GCM matches the GCM spec test cases 13 and 14 and rejects any flipped bit', async () => {
      const z = new Uint8Array(32);
      const n = new Uint8Array(12);
      assert.equal(
        toHex(await b.aesGcmSeal(z, n, new Uint8Array(0), new Uint8Array(0))),
        '530f8afbc74536b9a963b4f1c4cb738b',
      );
      const sealed = await b.aesGcmSeal(z, n, new Uint8Array(0), new Uint8Array(16));
      assert.equal(
        toHex(sealed),
        'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919',
      );
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const t = sealed.slice();
        t[bit >> 3] = (t[bit >> 3] as number) ^ (1 << (bit & 7));
        await assert.rejects(b.aesGcmOpen(z, n, new Uint8Array(0), t), OpenError);
      }
      await assert.rejects(b.aesGcmOpen(z, n, Uint8Array.of(1), sealed), OpenError);
      await assert.rejects(
        b.aesGcmOpen(z, n, new Uint8Array(0), sealed.subarray(0, 15)),
        OpenError,
      );
    });

    it('HKDF matches RFC 5869 test cases 1 and 3 and node hkdfSync for any input', async () => {
      const ikm = new Uint8Array(22).fill(0x0b);
      const salt = fromHex('000102030405060708090a0b0c');
      const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
      assert.equal(
        toHex(await hkdf(b, ikm, salt, info, 42)),
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      );
      assert.equal(
        toHex(await hkdf(b, ikm, new Uint8Array(0), new Uint8Array(0), 42)),
        '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
      );
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 80 }),
          fc.uint8Array({ maxLength: 40 }),
          fc.uint8Array({ maxLength: 40 }),
          fc.integer({ min: 1, max: 100 }),
          async (k, s, i, len) => {
            const native = new Uint8Array(hkdfSync('sha256', k, s, i, len));
            assert.deepEqual(await hkdf(b, k, s, i, len), native);
          },
        ),
        { numRuns: 50 },
      );
    });
  });
}
