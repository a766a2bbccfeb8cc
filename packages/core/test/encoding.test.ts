import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromBase64url, toBase64url } from '../src/encoding/base64url.js';
import { Reader, Writer } from '../src/encoding/canonical.js';
import { EncodingError } from '../src/errors.js';

describe('base64url', () => {
  it('round-trips arbitrary bytes and matches Buffer for canonical input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const s = toBase64url(b);
        assert.equal(s, Buffer.from(b).toString('base64url'));
        assert.deepEqual(fromBase64url(s), b);
      }),
    );
  });

  it('rejects padding, foreign characters, bad lengths and non-zero trailing bits', () => {
    for (const bad of ['AA==', 'A', 'AAAAA', 'AB+/', 'AB c', 'AB\n', 'AF', 'AAB', 'Zg=', 'é']) {
      assert.throws(() => fromBase64url(bad), EncodingError, bad);
    }
    assert.deepEqual(fromBase64url(''), new Uint8Array(0));
  });

  it('has exactly one text form for every byte string', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
          ),
          maxLength: 40,
        }),
        (s) => {
          let b: Uint8Array;
          try {
            b = fromBase64url(s);
          } catch {
            return;
          }
          assert.equal(toBase64url(b), s);
        },
      ),
    );
  });
});

describe('canonical encoding', () => {
  it('serialize(parse(b)) == b and rejects trailing or truncated input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.maxSafeNat(),
        fc.uint8Array({ maxLength: 64 }),
        fc.option(fc.string(), { nil: undefined }),
        (a, b, c, d, e) => {
          const enc = new Writer()
            .u8(a)
            .u32(b)
            .u64(c)
            .bytes(d)
            .opt(e, (w, v) => w.str(v))
            .finish();
          const r = new Reader(enc);
          const parsed = [r.u8(), r.u32(), r.u64(), r.bytes(), r.opt((x) => x.str())] as const;
          r.end();
          assert.deepEqual(parsed, [a, b, c, d, e]);
          const again = new Writer()
            .u8(parsed[0])
            .u32(parsed[1])
            .u64(parsed[2])
            .bytes(parsed[3])
            .opt(parsed[4], (w, v) => w.str(v))
            .finish();
          assert.deepEqual(again, enc);
          assert.throws(() => {
            const t = new Reader(enc.subarray(0, enc.length - 1));
            t.u8();
            t.u32();
            t.u64();
            t.bytes();
            t.opt((x) => x.str());
            t.end();
          }, EncodingError);
          const longer = new Reader(Uint8Array.of(...enc, 0));
          longer.u8();
          longer.u32();
          longer.u64();
          longer.bytes();
          longer.opt((x) => x.str());
          assert.throws(() => longer.end(), EncodingError);
        },
      ),
    );
  });

  it('grows past its initial buffer without losing bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 6 }), (parts) => {
        const w = new Writer().u8(7);
        for (const p of parts) w.bytes(p).fixed(p, p.length);
        const r = new Reader(w.finish());
        assert.equal(r.u8(), 7);
        for (const p of parts) {
          assert.deepEqual(r.bytes(), p);
          assert.deepEqual(r.fixed(p.length), p);
        }
        r.end();
      }),
    );
  });

  it('rejects a presence byte other than 0 or 1, u64 above 2^53-1 and invalid UTF-8', () => {
    assert.throws(() => new Reader(Uint8Array.of(2)).opt((r) => r.u8()), EncodingError);
    assert.throws(() => new Reader(new Uint8Array(8).fill(0xff)).u64(), EncodingError);
    assert.throws(() => new Reader(Uint8Array.of(0, 0, 0, 1, 0xff)).str(), EncodingError);
    assert.throws(() => new Writer().u64(2 ** 53));
    assert.throws(() => new Writer().str('\ud800'), EncodingError);
  });
});
