/**
 * The masking filter on its own: values split across writes, overlapping values, short
 * values left alone, held-back bytes released; and a property: however a stream is cut
 * into writes, the output is that of the rule applied to the whole text (a slow reference
 * written here), and no value ever appears.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Masker } from '../src/node/mask.js';

function run(values: string[], writes: string[]): { out: string; after: string[] } {
  const m = new Masker(values);
  const after: string[] = [];
  let out = '';
  for (const w of writes) {
    out += m.push(Buffer.from(w)).toString();
    after.push(out);
  }
  out += m.end().toString();
  return { out, after };
}

/** The rule, written the slow and obvious way: at each byte, the longest value there. */
function reference(values: string[], text: string): string {
  const vs = values
    .map((v) => Buffer.from(v))
    .filter((v) => v.length >= 4)
    .sort((a, b) => b.length - a.length);
  const buf = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length;) {
    const v = vs.find((p) => buf.subarray(i, i + p.length).equals(p));
    if (v) {
      out.push(Buffer.from('*****'));
      i += v.length;
    } else out.push(buf.subarray(i, ++i));
  }
  return Buffer.concat(out).toString();
}

describe('masking filter', () => {
  it('masks a value in one write, and several occurrences', () => {
    assert.equal(run(['hunter22'], ['pw=hunter22; again hunter22.']).out, 'pw=*****; again *****.');
  });

  it('masks a value split across two writes, holding back only the possible start', () => {
    const r = run(['s3cr3t-value'], ['token: s3cr', '3t-value done']);
    assert.equal(r.out, 'token: ***** done');
    assert.equal(r.after[0], 'token: ', 'what cannot be a value is not delayed');
  });

  it('releases held bytes as soon as they cannot be a value', () => {
    const r = run(['s3cr3t-value'], ['x s3cr', '3X rest']);
    assert.equal(r.after[1], 'x s3cr3X rest');
  });

  it('releases held bytes at the end of the stream', () => {
    assert.equal(run(['s3cr3t-value'], ['ends with s3cr3t-val']).out, 'ends with s3cr3t-val');
  });

  it("with partialAtEnd 'mask', the start of a value left at the end is masked", () => {
    const m = new Masker(['s3cr3t-value'], { partialAtEnd: 'mask' });
    const first = m.push(Buffer.from('done; s3cr3t-va'));
    assert.equal(Buffer.concat([first, m.end()]).toString(), 'done; *****');
    const plain = new Masker(['s3cr3t-value'], { partialAtEnd: 'mask' });
    const text = Buffer.concat([plain.push(Buffer.from('nothing held\n')), plain.end()]);
    assert.equal(text.toString(), 'nothing held\n', 'nothing held, nothing masked');
  });

  it('prefers the longest value when one starts another', () => {
    assert.equal(run(['abcd', 'abcdefgh'], ['abcdefgh abcd abcdefg']).out, '***** ***** *****efg');
    assert.equal(run(['abcd', 'abcdefgh'], ['abcd', 'efgh']).out, '*****');
  });

  it('leaves values shorter than 4 bytes alone', () => {
    assert.equal(run(['abc', 'x'], ['abc x abcd']).out, 'abc x abcd');
  });

  it('matches multi-byte and multi-line values byte for byte', () => {
    const v = 'clé\nsecrète 😀';
    const bytes = Buffer.from(`a ${v} b`);
    const m = new Masker([v]);
    const parts = [...bytes].map((b) => m.push(Buffer.from([b])));
    assert.equal(Buffer.concat([...parts, m.end()]).toString(), 'a ***** b');
  });

  it('property: any cut of a stream masks like the whole and like the rule; no value shows', () => {
    const value = fc.string({ unit: fc.constantFrom(...'ab\n'), minLength: 4, maxLength: 7 });
    fc.assert(
      fc.property(
        fc.uniqueArray(value, { minLength: 1, maxLength: 3 }),
        fc.string({ unit: fc.constantFrom(...'ab\nc'), maxLength: 60 }),
        fc.array(fc.nat(60), { maxLength: 6 }),
        (values, text, cuts) => {
          const whole = run(values, [text]).out;
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
          const bounds = [0, ...points, text.length];
          const writes = bounds.slice(1).map((end, i) => text.slice(bounds[i], end));
          assert.equal(whole, reference(values, text));
          assert.equal(run(values, writes).out, whole);
          for (const v of values) assert.ok(!whole.includes(v), `${JSON.stringify(v)} shows`);
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});
