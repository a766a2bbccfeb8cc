import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex, utf8 } from '../src/bytes.js';
import { ArgumentError, HpkeError, OpenError } from '../src/errors.js';
import {
  deriveX25519KeyPair,
  generateX25519KeyPair,
  hpkeOpen,
  hpkeSeal,
  setupBaseRecipient,
  setupBaseSender,
} from '../src/hpke/index.js';
import { decap, encap } from '../src/hpke/kem.js';
import { keySchedule, MAX_SEQUENCE, sequenceNonce } from '../src/hpke/key-schedule.js';
import { labeledExpand } from '../src/hpke/labeled.js';
import { HUSH_SUITE } from '../src/hpke/suite.js';
import { backends } from './backends.js';
import { peerOpen, peerSeal, peerSenderTranscript } from './hpke-peer.js';
import { loadRfc9180Fixture, vectorAeadSeal, vectorSuite } from './hpke-vectors.js';

const fixture = loadRfc9180Fixture();
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

/** X25519 points of small order (RFC 7748 section 7 / libsodium's blocklist). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(fromHex);

/**
 * hush's suite on the RFC 9180 A.1.1 inputs (PROTOCOL.md 9.9). Not an RFC vector: the
 * RFC has none for AES-256-GCM with X25519. Computed by hush and, independently, by
 * @hpke/core (the next test re-derives it from @hpke/core on every run).
 */
const HUSH_KAT = {
  key_schedule_context:
    '004ce5472ecdd5093ba0aecb8f871ff13f1fbc90ee76f0e18ace1a1b7e565bafa3' +
    '06f6ef962c9ee7cea40407b5d60f0f26990472faae3ac44c78366f1cac1ecde1',
  secret: 'f43f0d342f341adbf46889a6d23529ce2b223c36cdd65a2f9148e9a9d98c2110',
  key: 'a2863277956ec56c4f9f16b43665870daa2403d0d22baceff6551c4ff35b8528',
  base_nonce: '94fc3a5af015ec686da39ff8',
  exporter_secret: '1de04acd4387c1d4a50b2615c6c46f9c0fd311ba06c106d04e3a4f16f75bc7d3',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  ct0:
    '090b7dc225419f7da9e8b460becfbb96a26c7964d79b8010d397fa838530a32a' +
    '397b14f5776db19ff5e57734e0',
};

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

describe('HPKE fixture', () => {
  it('carries its source and the published X25519 / HKDF-SHA256 mode_base vectors', () => {
    assert.match(fixture.source, /RFC 9180/);
    assert.equal(fixture.vectors.length, 2);
    for (const v of fixture.vectors) {
      assert.deepEqual([v.mode, v.kem_id, v.kdf_id], [0, 32, 1]);
      assert.ok(v.encryptions.length >= 3);
    }
  });
});

for (const b of backends) {
  describe(`HPKE on ${b.name}`, () => {
    for (const v of fixture.vectors) {
      it(`reproduces RFC 9180 ${v.appendix} (${v.name}): keys, KEM, key schedule, nonces, ciphertexts, exports`, async () => {
        const e = await deriveX25519KeyPair(b, fromHex(v.ikmE));
        assert.equal(toHex(e.privateKey), v.skEm);
        assert.equal(toHex(e.publicKey), v.pkEm);
        const r = await deriveX25519KeyPair(b, fromHex(v.ikmR));
        assert.equal(toHex(r.privateKey), v.skRm);
        assert.equal(toHex(r.publicKey), v.pkRm);

        const { enc, sharedSecret } = await encap(b, fromHex(v.pkRm), fromHex(v.ikmE));
        assert.equal(toHex(enc), v.enc);
        assert.equal(toHex(sharedSecret), v.shared_secret);
        assert.equal(toHex(await decap(b, fromHex(v.enc), fromHex(v.skRm))), v.shared_secret);

        const suite = vectorSuite(v);
        const ks = await keySchedule(b, sharedSecret, fromHex(v.info), true, suite);
        assert.equal(toHex(ks.keyScheduleContext), v.key_schedule_context);
        assert.equal(toHex(ks.secret), v.secret);
        assert.equal(toHex(ks.key), v.key);
        assert.equal(toHex(ks.baseNonce), v.base_nonce);
        assert.equal(toHex(ks.exporterSecret), v.exporter_secret);

        for (const x of v.encryptions) {
          const nonce = sequenceNonce(ks.baseNonce, x.seq);
          assert.equal(toHex(nonce), x.nonce, `nonce for sequence ${x.seq}`);
          const ct = vectorAeadSeal(v, ks.key, nonce, fromHex(x.aad), fromHex(x.pt));
          assert.equal(toHex(ct), x.ct, `ciphertext for sequence ${x.seq}`);
        }
        for (const x of v.exports) {
          const out = await labeledExpand(
            b,
            suite.id,
            ks.exporterSecret,
            'sec',
            fromHex(x.exporter_context),
            x.L,
          );
          assert.equal(toHex(out), x.exported_value);
        }
      });
    }

    it('gives the AES-256-GCM known answer of PROTOCOL.md 9.9 for the A.1 inputs', async () => {
      const v = fixture.vectors[0];
      assert.ok(v);
      const { enc, sharedSecret } = await encap(b, fromHex(v.pkRm), fromHex(v.ikmE));
      assert.equal(toHex(enc), v.enc);
      const ks = await keySchedule(b, sharedSecret, fromHex(v.info), true);
      assert.equal(toHex(ks.keyScheduleContext), HUSH_KAT.key_schedule_context);
      assert.equal(toHex(ks.secret), HUSH_KAT.secret);
      assert.equal(toHex(ks.key), HUSH_KAT.key);
      assert.equal(toHex(ks.baseNonce), HUSH_KAT.base_nonce);
      assert.equal(toHex(ks.exporterSecret), HUSH_KAT.exporter_secret);
      const { context } = await setupBaseSender(
        b,
        fromHex(v.pkRm),
        fromHex(v.info),
        fromHex(v.ikmE),
      );
      assert.equal(toHex(await context.seal(utf8('Count-0'), fromHex(HUSH_KAT.pt))), HUSH_KAT.ct0);
      const pt = await hpkeOpen(
        b,
        fromHex(v.skRm),
        enc,
        fromHex(v.info),
        utf8('Count-0'),
        fromHex(HUSH_KAT.ct0),
      );
      assert.equal(toHex(pt), HUSH_KAT.pt);
    });

    it('matches @hpke/core byte for byte on the AES-256-GCM suite with the A.1 inputs pinned', async () => {
      const v = fixture.vectors[0];
      assert.ok(v);
      const pt = fromHex(v.encryptions[0]?.pt ?? '');
      const aads = [0, 1, 2, 3, 4].map((i) => utf8(`Count-${i}`));
      const contexts = [new Uint8Array(0), Uint8Array.of(0), utf8('TestContext')];
      const peer = await peerSenderTranscript(
        fromHex(v.pkRm),
        fromHex(v.info),
        fromHex(v.ikmE),
        pt,
        aads,
        contexts,
      );

      const { enc, context } = await setupBaseSender(
        b,
        fromHex(v.pkRm),
        fromHex(v.info),
        fromHex(v.ikmE),
      );
      assert.equal(toHex(enc), toHex(peer.enc));
      assert.equal(toHex(enc), v.enc);
      for (const [i, aad] of aads.entries()) {
        assert.equal(context.sequence, i);
        assert.equal(toHex(await context.seal(aad, pt)), toHex(peer.cts[i] ?? new Uint8Array(0)));
      }
      for (const [i, c] of contexts.entries()) {
        const out = await context.export(c, 32);
        assert.equal(toHex(out), toHex(peer.exports[i] ?? new Uint8Array(0)));
      }

      const rc = await setupBaseRecipient(b, fromHex(v.skRm), enc, fromHex(v.info));
      await assert.rejects(rc.open(aads[1] ?? pt, peer.cts[0] ?? pt), OpenError);
      assert.equal(rc.sequence, 0, 'a failed open does not advance the sequence');
      for (const [i, aad] of aads.entries()) {
        assert.deepEqual(await rc.open(aad, peer.cts[i] ?? new Uint8Array(0)), pt);
      }
      const single = await hpkeOpen(
        b,
        fromHex(v.skRm),
        enc,
        fromHex(v.info),
        aads[0] ?? pt,
        peer.cts[0] ?? pt,
      );
      assert.deepEqual(single, pt);
    });

    it('hush seals and @hpke/core opens', async () => {
      await fc.assert(
        fc.asyncProperty(bytes(200), bytes(64), bytes(64), async (pt, info, aad) => {
          const r = await generateX25519KeyPair(b);
          const { enc, ct } = await hpkeSeal(b, r.publicKey, info, aad, pt);
          assert.equal(enc.length, 32);
          assert.equal(ct.length, pt.length + 16);
          assert.deepEqual(await peerOpen(r.privateKey, enc, info, aad, ct), pt);
        }),
        { numRuns: 30 },
      );
    });

    it('@hpke/core seals and hush opens', async () => {
      await fc.assert(
        fc.asyncProperty(bytes(200), bytes(64), bytes(64), async (pt, info, aad) => {
          const r = await generateX25519KeyPair(b);
          const { enc, ct } = await peerSeal(r.publicKey, info, aad, pt);
          assert.deepEqual(await hpkeOpen(b, r.privateKey, enc, info, aad, ct), pt);
        }),
        { numRuns: 30 },
      );
    });

    it('round-trips any plaintext, info and aad, and each seal is fresh', async () => {
      const r = await generateX25519KeyPair(b);
      await fc.assert(
        fc.asyncProperty(bytes(300), bytes(100), bytes(100), async (pt, info, aad) => {
          const a = await hpkeSeal(b, r.publicKey, info, aad, pt);
          const c = await hpkeSeal(b, r.publicKey, info, aad, pt);
          assert.notDeepEqual(a.enc, c.enc);
          assert.deepEqual(await hpkeOpen(b, r.privateKey, a.enc, info, aad, a.ct), pt);
          assert.deepEqual(await hpkeOpen(b, r.privateKey, c.enc, info, aad, c.ct), pt);
        }),
        { numRuns: 30 },
      );
    });

    it('rejects every single-bit flip of enc and of ct with OpenError', async () => {
      const r = await generateX25519KeyPair(b);
      const info = utf8('hush/v1/test/info');
      const aad = utf8('hush/v1/test/aad');
      const { enc, ct } = await hpkeSeal(b, r.publicKey, info, aad, b.randomBytes(32));
      for (let bit = 0; bit < enc.length * 8; bit++) {
        await assert.rejects(
          hpkeOpen(b, r.privateKey, flipBit(enc, bit), info, aad, ct),
          OpenError,
        );
      }
      for (let bit = 0; bit < ct.length * 8; bit++) {
        await assert.rejects(
          hpkeOpen(b, r.privateKey, enc, info, aad, flipBit(ct, bit)),
          OpenError,
        );
      }
    });

    it('rejects wrong info, aad or key, truncation, extension and swapped fields', async () => {
      const r = await generateX25519KeyPair(b);
      const other = await generateX25519KeyPair(b);
      await fc.assert(
        fc.asyncProperty(
          bytes(64),
          bytes(32),
          bytes(32),
          fc.uint8Array({ minLength: 1, maxLength: 8 }),
          async (pt, info, aad, extra) => {
            const { enc, ct } = await hpkeSeal(b, r.publicKey, info, aad, pt);
            const open = (
              sk: Uint8Array,
              e: Uint8Array,
              i: Uint8Array,
              a: Uint8Array,
              c: Uint8Array,
            ) => assert.rejects(hpkeOpen(b, sk, e, i, a, c), OpenError);
            await open(r.privateKey, enc, new Uint8Array([...info, ...extra]), aad, ct);
            await open(r.privateKey, enc, info, new Uint8Array([...aad, ...extra]), ct);
            await open(other.privateKey, enc, info, aad, ct);
            await open(r.privateKey, enc, info, aad, ct.subarray(0, ct.length - 1));
            await open(r.privateKey, enc, info, aad, new Uint8Array([...ct, ...extra]));
            await open(r.privateKey, enc.subarray(1), info, aad, ct);
            await open(r.privateKey, new Uint8Array([...enc, 0]), info, aad, ct);
            await open(r.privateKey, r.publicKey, info, aad, ct);
            if (info.length !== aad.length || toHex(info) !== toHex(aad)) {
              await open(r.privateKey, enc, aad, info, ct);
            }
          },
        ),
        { numRuns: 20 },
      );
    });

    it('refuses low-order points: HpkeError when sealing, OpenError when opening', async () => {
      const r = await generateX25519KeyPair(b);
      const { ct } = await hpkeSeal(
        b,
        r.publicKey,
        new Uint8Array(0),
        new Uint8Array(0),
        new Uint8Array(8),
      );
      for (const p of LOW_ORDER) {
        await assert.rejects(
          hpkeSeal(b, p, new Uint8Array(0), new Uint8Array(0), new Uint8Array(8)),
          HpkeError,
        );
        await assert.rejects(
          hpkeOpen(b, r.privateKey, p, new Uint8Array(0), new Uint8Array(0), ct),
          OpenError,
        );
      }
      await assert.rejects(
        hpkeOpen(
          b,
          r.privateKey,
          new Uint8Array(32),
          new Uint8Array(0),
          new Uint8Array(0),
          new Uint8Array(15),
        ),
        OpenError,
      );
    });

    it('raises ArgumentError for wrong-length keys, short ikm and non-byte arguments', async () => {
      const r = await generateX25519KeyPair(b);
      const z = new Uint8Array(0);
      await assert.rejects(hpkeSeal(b, r.publicKey.subarray(1), z, z, z), ArgumentError);
      await assert.rejects(hpkeSeal(b, new Uint8Array(33), z, z, z), ArgumentError);
      const { enc, ct } = await hpkeSeal(b, r.publicKey, z, z, z);
      await assert.rejects(hpkeOpen(b, r.privateKey.subarray(1), enc, z, z, ct), ArgumentError);
      await assert.rejects(deriveX25519KeyPair(b, new Uint8Array(15)), ArgumentError);
      await assert.rejects(
        hpkeSeal(b, r.publicKey, 'info' as unknown as Uint8Array, z, z),
        ArgumentError,
      );
      const kp = await deriveX25519KeyPair(b, new Uint8Array(16));
      assert.equal(kp.publicKey.length, 32);
    });

    it('never puts key material or plaintext in error messages', async () => {
      const r = await generateX25519KeyPair(b);
      const pt = b.randomBytes(32);
      const { enc, ct } = await hpkeSeal(b, r.publicKey, new Uint8Array(0), new Uint8Array(0), pt);
      const errors: unknown[] = [];
      const collect = (p: Promise<unknown>) =>
        p.then(
          () => assert.fail('should reject'),
          (e: unknown) => errors.push(e),
        );
      await collect(hpkeOpen(b, r.privateKey, enc, Uint8Array.of(1), new Uint8Array(0), ct));
      await collect(
        hpkeOpen(b, r.privateKey, LOW_ORDER[0] ?? enc, new Uint8Array(0), new Uint8Array(0), ct),
      );
      await collect(hpkeSeal(b, LOW_ORDER[1] ?? enc, new Uint8Array(0), new Uint8Array(0), pt));
      const secrets = [r.privateKey, r.publicKey, pt, enc].map(toHex);
      for (const e of errors) {
        assert.ok(e instanceof Error);
        let text = `${e.message} ${String(e.stack)}`;
        if (e.cause instanceof Error) text += ` ${e.cause.message}`;
        for (const s of secrets) assert.ok(!text.includes(s));
      }
    });
  });
}

describe('HPKE sequence numbers', () => {
  it('XORs the big-endian sequence number into the base nonce and stops past 2^32 - 1', () => {
    const base = fromHex('56d890e5accaaf011cff4b7d');
    assert.equal(toHex(sequenceNonce(base, 0)), '56d890e5accaaf011cff4b7d');
    assert.equal(toHex(sequenceNonce(base, 256)), '56d890e5accaaf011cff4a7d');
    assert.equal(toHex(sequenceNonce(base, MAX_SEQUENCE)), '56d890e5accaaf01e300b482');
    assert.throws(() => sequenceNonce(base, MAX_SEQUENCE + 1), HpkeError);
    assert.throws(() => sequenceNonce(base, -1), ArgumentError);
    assert.throws(() => sequenceNonce(base, 0.5), ArgumentError);
  });

  it('uses the hush suite id 0x0020 / 0x0001 / 0x0002 with a 32-byte key', () => {
    assert.equal(toHex(HUSH_SUITE.id), toHex(utf8('HPKE')) + '002000010002');
    assert.equal(HUSH_SUITE.nk, 32);
    assert.equal(HUSH_SUITE.nn, 12);
  });
});
