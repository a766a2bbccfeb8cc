/**
 * The .env parser and serializer: dotenv's documented rules, hush's deliberate differences
 * (docs/CLIENT.md), line numbers in errors, and two properties: serialize-then-parse gives
 * back any names and values, and parse throws nothing but DotenvError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DotenvError, parseDotenv, serializeDotenv, serializeShell } from '../src/dotenv.js';
import { UsageError } from '../src/errors.js';
import { TRICKY_ENV, TRICKY_VALUES } from './dotenv-fixture.js';

const values = (text: string) =>
  Object.fromEntries(parseDotenv(text).map((e) => [e.name, e.value]));

function refused(text: string, line: number, why: RegExp): void {
  assert.throws(
    () => parseDotenv(text),
    (e: unknown) => {
      assert.ok(e instanceof DotenvError, `expected a DotenvError, got ${String(e)}`);
      assert.ok(e instanceof UsageError, 'a DotenvError is a usage error (exit 2)');
      assert.equal(e.line, line);
      assert.match(e.message, new RegExp(`^line ${line}: `));
      assert.match(e.message, why);
      return true;
    },
  );
}

describe('.env parser: dotenv rules', () => {
  it('reads the tricky fixture to the values dotenv gives (and hush keeps)', () => {
    assert.deepEqual(values(TRICKY_ENV), TRICKY_VALUES);
  });

  it('basic, empty, spaced and export lines', () => {
    assert.deepEqual(values('BASIC=basic\nEMPTY=\n  SPACED_KEY = parsed  \nexport EXPORTED=1\n'), {
      BASIC: 'basic',
      EMPTY: '',
      SPACED_KEY: 'parsed',
      EXPORTED: '1',
    });
  });

  it('a name "export" is a name, not a prefix', () => {
    assert.deepEqual(values('export=1\n'), { export: '1' });
    assert.deepEqual(values('export export=2\n'), { export: '2' });
    assert.deepEqual(values('export =3\n'), { export: '3' });
  });

  it('skips blank lines and comment lines; CRLF and CR read as LF; a BOM is ignored', () => {
    assert.deepEqual(values('\uFEFF# c\r\n\r\nA=1\rB="x\r\ny"\r\n   # indented comment\n'), {
      A: '1',
      B: 'x\ny',
    });
  });

  it('quotes: single and backtick literal, double with escapes, spaces kept inside quotes', () => {
    assert.deepEqual(
      values(
        [
          `S='  single \\n "in" \`x\`  '`,
          'B=`  back \'s\' "d" \\n  `',
          'D="  \\n \\r \\t \\\\ \\" \\x \'s\' `b`  "',
        ].join('\n'),
      ),
      {
        S: '  single \\n "in" `x`  ',
        B: '  back \'s\' "d" \\n  ',
        D: "  \n \r \t \\ \" \\x 's' `b`  ",
      },
    );
  });

  it('comments: after a quoted value, after whitespace, or at the start of a value', () => {
    assert.deepEqual(
      values('A="x # y" # note\nB=\'#not\'#note\nC=plain # note\nD=# all comment\nE=\t#tab\n'),
      { A: 'x # y', B: '#not', C: 'plain', D: '', E: '' },
    );
  });

  it('multi-line quoted values keep their newlines; line numbers count them', () => {
    const text = 'A="one\ntwo\nthree"\nB=\'x\ny\'\nC=ok\nD\n';
    refused(text, 7, /"D" has no "="/);
    assert.deepEqual(values('A="one\ntwo\nthree"\nB=\'x\ny\'\nC=ok\n'), {
      A: 'one\ntwo\nthree',
      B: 'x\ny',
      C: 'ok',
    });
  });
});

describe('.env parser: what hush refuses (dotenv would skip or guess)', () => {
  it('a line without "=", a bad name, an unclosed quote, text after a quote, a name twice', () => {
    refused('A=1\nJUST_A_NAME\n', 2, /has no "="/);
    refused('A=1\n\nnot a line\n', 3, /expected NAME=VALUE/);
    refused('A=1\nB="open\nC=2\n', 2, /never closed/);
    refused("A='x' y\n", 1, /after the closing ' quote of A/);
    refused('A="x\ny"z\n', 2, /after the closing " quote/);
    refused('A=1\nB=2\nA=3\n', 3, /A is assigned twice \(first on line 1\)/);
    refused('KEY: value\n', 1, /expected NAME=VALUE/);
  });

  it('an error never quotes the line back (it may hold a value)', () => {
    assert.throws(
      () => parseDotenv('PASSWORD hunter2-secret\n'),
      (e: Error) => !e.message.includes('hunter2'),
    );
  });
});

describe('.env serializer', () => {
  it('writes plain values bare and quotes what needs it', () => {
    assert.equal(
      serializeDotenv([
        { name: 'A', value: 'plain/val:1@x' },
        { name: 'B', value: 'two words' },
        { name: 'C', value: "it's" },
        { name: 'D', value: "it's `x`" },
        { name: 'E', value: 'cr\rhere' },
        { name: 'F', value: '' },
      ]),
      'A=plain/val:1@x\nB=\'two words\'\nC=`it\'s`\nD="it\'s `x`"\nE="cr\\rhere"\nF=\n',
    );
  });

  it('comments go above their entry, a header first', () => {
    assert.equal(
      serializeDotenv([{ name: 'A', value: '1', comment: 'first\nsecond' }], 'top'),
      '# top\n# first\n# second\nA=1\n',
    );
  });

  it('refuses a name dotenv cannot read', () => {
    assert.throws(() => serializeDotenv([{ name: 'A B', value: '1' }]), UsageError);
  });

  it('shell: single-quoted exports; a name a shell cannot export is refused', () => {
    assert.equal(
      serializeShell([{ name: 'A', value: "it's $HOME" }]),
      "export A='it'\\''s $HOME'\n",
    );
    assert.throws(() => serializeShell([{ name: 'a.b', value: '1' }]), /not a shell variable/);
  });
});

const nameArb = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
/** Any Unicode text, weighted towards the characters .env syntax cares about. */
const valueArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(...'\'"`#=\\ \t\n\r$x-é😀'.split(/(?:)/u)),
    maxLength: 30,
  }),
);

describe('.env properties', () => {
  it('serialize then parse gives back the same names and values', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(nameArb, valueArb, fc.option(fc.string(), { nil: undefined })), {
          selector: ([n]) => n,
          maxLength: 8,
        }),
        (entries) => {
          const text = serializeDotenv(
            entries.map(([name, value, comment]) => ({
              name,
              value,
              ...(comment !== undefined ? { comment } : {}),
            })),
          );
          assert.deepEqual(
            parseDotenv(text).map((e) => [e.name, e.value]),
            entries.map(([n, v]) => [n, v]),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parse throws nothing but DotenvError, whatever the input', () => {
    const soup = fc.string({
      unit: fc.constantFrom(...'AB_=\'"`#\\ \t\n\rexport.x-'.split('')),
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.oneof(soup, fc.string({ unit: 'binary', maxLength: 80 })), (text) => {
        try {
          parseDotenv(text);
        } catch (e) {
          assert.ok(e instanceof DotenvError, `threw ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
