/**
 * Object bodies (PROTOCOL.md section 10): round trips of arbitrary valid bodies, one
 * encoding per body (mutations and bit flips never decode to an equal body), and every rule
 * of section 10 refused by the reader as `encoding` (or `context` for the header checks) and
 * by the writer as ArgumentError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { indexKey } from '../src/blind-index.js';
import { blindIndex } from '../src/blind-index.js';
import { utf8 } from '../src/bytes.js';
import { Writer } from '../src/encoding/canonical.js';
import { EnvelopeError, type EnvelopeFailure } from '../src/envelope/errors.js';
import { COLLECTION } from '../src/envelope/header.js';
import { ArgumentError } from '../src/errors.js';
import { asTeamKey } from '../src/keys.js';
import {
  checkEntryIndex,
  decodeEntryBody,
  encodeEntryBody,
  type EntryBody,
} from '../src/bodies/entry.js';
import {
  checkManifestHeader,
  decodeFileManifest,
  encodeFileManifest,
  type FileManifest,
} from '../src/bodies/manifest.js';
import { decodeMessageBody, encodeMessageBody, type MessageBody } from '../src/bodies/message.js';
import { checkSnippetPath, stripGitCredentials } from '../src/bodies/path.js';
import { decodeSnippetBody, encodeSnippetBody, type SnippetBody } from '../src/bodies/snippet.js';
import { backends } from './backends.js';

const MiB = 1_048_576;

function refused(f: () => unknown, reason: EnvelopeFailure = 'encoding', note?: string): void {
  assert.throws(f, (e: unknown) => e instanceof EnvelopeError && e.reason === reason, note);
}
function badArgument(f: () => unknown, note?: string): void {
  assert.throws(f, ArgumentError, note);
}

// ---- arbitraries ---------------------------------------------------------------------------

/** Strings of at most `maxBytes` UTF-8 bytes (a code point takes at most 4). */
const text = (maxBytes: number, minLength = 0) =>
  fc.string({ unit: 'binary', minLength, maxLength: Math.min(40, Math.floor(maxBytes / 4)) });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const segment = fc
  .string({ unit: fc.constantFrom(...'aZ09-_.é@ :'), minLength: 1, maxLength: 6 })
  .filter((s) => s !== '.' && s !== '..');
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const remote = fc.oneof(
  fc.constantFrom('', 'https://github.com/o/r.git', 'github.com:o/r.git', '/srv/git/r'),
  fc.string({ unit: 'binary', maxLength: 40 }).map(stripGitCredentials),
);

const messageArb: fc.Arbitrary<MessageBody> = fc
  .record(
    {
      type: fc.constantFrom('request', 'response', 'notification'),
      priority: fc.constantFrom('normal', 'urgent', 'blocking'),
      topic: text(256),
      replyTo: fc.option(bytes(16), { nil: undefined }),
      text: text(MiB),
    },
    { noNullPrototype: true },
  )
  .map(({ replyTo, ...m }) =>
    replyTo === undefined && m.type !== 'response'
      ? m
      : { ...m, replyTo: replyTo ?? new Uint8Array(16) },
  );

const snippetArb: fc.Arbitrary<SnippetBody> = fc
  .record(
    {
      title: text(256),
      language: fc.constantFrom('', 'typescript', 'rust', 'c++'),
      path: fc.oneof(fc.constant(''), path),
      lines: fc.option(
        fc.tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff })),
        { nil: undefined },
      ),
      gitRemote: remote,
      commit: fc.oneof(bytes(0), bytes(20), bytes(32)),
      note: text(4096),
      kind: fc.constantFrom('content', 'patch'),
      content: text(MiB),
    },
    { noNullPrototype: true },
  )
  .map(({ lines, ...s }) => {
    if (lines === undefined || s.path === '') return s;
    const [a, c] = lines;
    return { ...s, lines: { first: Math.min(a, c), last: Math.max(a, c) } };
  });

const entryArb = (collection: 'kv' | 'secret'): fc.Arbitrary<EntryBody> =>
  fc.record(
    {
      environment: text(128),
      name: text(1024, 1),
      value:
        collection === 'kv'
          ? fc.oneof(fc.json(), fc.constantFrom(' 1 ', '"x"', '\t[]\n')).map(utf8)
          : fc.uint8Array({ maxLength: 64 }),
      comment: text(4096),
    },
    { noNullPrototype: true },
  );

const chunks = (size: number) => Math.max(1, Math.ceil(size / 65536));
const manifestArb: fc.Arbitrary<FileManifest> = fc
  .record(
    {
      name: path,
      mediaType: fc.oneof(
        fc.constantFrom('', 'text/plain', 'application/vnd.api+json', 'image/svg+xml'),
        fc.stringMatching(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,8}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,8}$/),
      ),
      size: fc.oneof(fc.nat(300_000), fc.maxSafeNat()),
      mtime: fc.maxSafeNat(),
      contentKey: bytes(32),
      streamObjectId: bytes(16),
      streamVersion: fc.maxSafeNat(),
      blobId: bytes(16),
      sha256: bytes(32),
    },
    { noNullPrototype: true },
  )
  .map((m) => ({ ...m, chunkCount: chunks(m.size) }));

interface Codec {
  readonly name: string;
  readonly arb: fc.Arbitrary<unknown>;
  readonly enc: (x: unknown) => Uint8Array;
  readonly dec: (b: Uint8Array) => unknown;
}
const codecs: readonly Codec[] = [
  {
    name: 'message',
    arb: messageArb,
    enc: (x) => encodeMessageBody(x as MessageBody),
    dec: decodeMessageBody,
  },
  {
    name: 'snippet',
    arb: snippetArb,
    enc: (x) => encodeSnippetBody(x as SnippetBody),
    dec: decodeSnippetBody,
  },
  ...(['kv', 'secret'] as const).map((c) => ({
    name: c,
    arb: entryArb(c),
    enc: (x: unknown) => encodeEntryBody(x as EntryBody, c),
    dec: (b: Uint8Array) => decodeEntryBody(b, c),
  })),
  {
    name: 'file',
    arb: manifestArb,
    enc: (x) => encodeFileManifest(x as FileManifest),
    dec: decodeFileManifest,
  },
];

type Mutation = { op: 'flip' | 'set' | 'insert' | 'delete' | 'cut'; at: number; value: number };
const mutations = fc.array(
  fc.record(
    {
      op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'cut'),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    },
    { noNullPrototype: true },
  ),
  { minLength: 1, maxLength: 3 },
) as fc.Arbitrary<Mutation[]>;

function mutate(input: Uint8Array, ms: Mutation[]): Uint8Array {
  let x = Array.from(input);
  for (const m of ms) {
    const at = x.length === 0 ? 0 : m.at % x.length;
    if (m.op === 'flip' && x.length > 0) x[at] = (x[at] as number) ^ (1 << (m.value & 7));
    if (m.op === 'set' && x.length > 0) x[at] = m.value;
    if (m.op === 'insert') x = [...x.slice(0, at), m.value, ...x.slice(at)];
    if (m.op === 'delete') x = [...x.slice(0, at), ...x.slice(at + 1)];
    if (m.op === 'cut') x = x.slice(0, at);
  }
  return Uint8Array.from(x);
}

// ---- properties ----------------------------------------------------------------------------

describe('object bodies: one encoding per body', () => {
  for (const c of codecs) {
    it(`${c.name}: decode(encode(x)) = x and encode(decode(b)) = b`, () => {
      fc.assert(
        fc.property(c.arb, (x) => {
          const b = c.enc(x);
          assert.equal(b[0], 1, 'format byte');
          const y = c.dec(b);
          assert.deepStrictEqual(y, x);
          assert.deepStrictEqual(c.enc(y), b);
        }),
        { numRuns: 200 },
      );
    });

    it(`${c.name}: a mutated encoding is refused as encoding or re-encodes identically`, () => {
      fc.assert(
        fc.property(c.arb, mutations, (x, ms) => {
          const b = mutate(c.enc(x), ms);
          let y: unknown;
          try {
            y = c.dec(b);
          } catch (e) {
            assert.ok(e instanceof EnvelopeError && e.reason === 'encoding', String(e));
            return;
          }
          assert.deepStrictEqual(c.enc(y), b);
        }),
        { numRuns: 300 },
      );
    });

    it(`${c.name}: no single-bit flip decodes to the same body`, () => {
      fc.assert(
        fc.property(c.arb, (x) => {
          const b = c.enc(x);
          for (let i = 0; i < b.length * 8; i++) {
            const t = b.slice();
            t[i >> 3] = (t[i >> 3] as number) ^ (1 << (i & 7));
            let y: unknown;
            try {
              y = c.dec(t);
            } catch (e) {
              assert.ok(e instanceof EnvelopeError && e.reason === 'encoding');
              continue;
            }
            assert.ok(!isDeepStrictEqual(y, x), `bit ${i} flipped decodes to the same body`);
          }
        }),
        { numRuns: 25 },
      );
    });

    it(`${c.name}: empty input (a tombstone's body), another format byte and a trailing byte are refused`, () => {
      const b = c.enc(fc.sample(c.arb, { numRuns: 1, seed: 7 })[0]);
      refused(() => c.dec(new Uint8Array(0)));
      for (const f of [0, 2, 255]) refused(() => c.dec(Uint8Array.of(f, ...b.subarray(1))));
      refused(() => c.dec(Uint8Array.of(...b, 0)));
      refused(() => c.dec(b.subarray(0, b.length - 1)));
    });
  }
});

// ---- raw layouts, to write what the encoders refuse -----------------------------------------

function rawMessage(o: {
  format?: number;
  type?: number;
  priority?: number;
  topic?: Uint8Array;
  presence?: number;
  replyTo?: Uint8Array;
  text?: Uint8Array;
}) {
  const w = new Writer()
    .u8(o.format ?? 1)
    .u8(o.type ?? 1)
    .u8(o.priority ?? 1)
    .bytes(o.topic ?? utf8('t'));
  w.u8(o.presence ?? (o.replyTo ? 1 : 0));
  if (o.replyTo) w.fixed(o.replyTo, o.replyTo.length);
  return w.bytes(o.text ?? utf8('hello')).finish();
}

interface RawSnippet {
  title?: Uint8Array;
  language?: Uint8Array;
  path?: string;
  lines?: [number, number];
  gitRemote?: string;
  commit?: Uint8Array;
  note?: Uint8Array;
  kind?: number;
  content?: Uint8Array;
}
function rawSnippet(o: RawSnippet) {
  const w = new Writer()
    .u8(1)
    .bytes(o.title ?? utf8('t'))
    .bytes(o.language ?? utf8('ts'))
    .bytes(utf8(o.path ?? 'src/a.ts'))
    .opt(o.lines, (x, [a, c]) => x.u32(a).u32(c))
    .bytes(utf8(o.gitRemote ?? 'https://example.com/r.git'))
    .bytes(o.commit ?? new Uint8Array(20))
    .bytes(o.note ?? utf8(''))
    .u8(o.kind ?? 1)
    .bytes(o.content ?? utf8('x'));
  return w.finish();
}

function rawEntry(o: {
  environment?: Uint8Array;
  name?: Uint8Array;
  value?: Uint8Array;
  comment?: Uint8Array;
}) {
  return new Writer()
    .u8(1)
    .bytes(o.environment ?? utf8('prod'))
    .bytes(o.name ?? utf8('timeout'))
    .bytes(o.value ?? utf8('30'))
    .bytes(o.comment ?? utf8(''))
    .finish();
}

const goodManifest: FileManifest = {
  name: 'docs/report.pdf',
  mediaType: 'application/pdf',
  size: 65537,
  mtime: 1_700_000_000_000,
  contentKey: new Uint8Array(32).fill(1),
  streamObjectId: new Uint8Array(16).fill(2),
  streamVersion: 3,
  blobId: new Uint8Array(16).fill(4),
  chunkCount: 2,
  sha256: new Uint8Array(32).fill(5),
};
function rawManifest(o: Partial<FileManifest> & { nameBytes?: Uint8Array; sizeHi?: number }) {
  const m = { ...goodManifest, ...o };
  const w = new Writer()
    .u8(1)
    .bytes(o.nameBytes ?? utf8(m.name))
    .bytes(utf8(m.mediaType));
  if (o.sizeHi !== undefined) w.u32(o.sizeHi).u32(0);
  else w.u64(m.size);
  return w
    .u64(m.mtime)
    .fixed(m.contentKey, 32)
    .fixed(m.streamObjectId, 16)
    .u64(m.streamVersion)
    .fixed(m.blobId, 16)
    .u64(m.chunkCount)
    .fixed(m.sha256, 32)
    .finish();
}

const long = (n: number) => utf8('a'.repeat(n));

// ---- rules ---------------------------------------------------------------------------------

describe('message rules (10.2)', () => {
  const ok: MessageBody = { type: 'request', priority: 'normal', topic: '', text: 'hi' };

  it('accepts the maximum lengths and a replyTo on any type', () => {
    const m = { ...ok, topic: 'a'.repeat(256), text: 'b'.repeat(MiB), replyTo: new Uint8Array(16) };
    assert.deepStrictEqual(decodeMessageBody(encodeMessageBody(m)), m);
    assert.deepStrictEqual(
      decodeMessageBody(rawMessage({ topic: long(256), text: long(MiB) })).text.length,
      MiB,
    );
  });

  it('refuses unknown enumerations, over-long fields, a bad presence byte, invalid UTF-8', () => {
    for (const type of [0, 4, 255]) refused(() => decodeMessageBody(rawMessage({ type })));
    for (const priority of [0, 4]) refused(() => decodeMessageBody(rawMessage({ priority })));
    refused(() => decodeMessageBody(rawMessage({ topic: long(257) })));
    refused(() => decodeMessageBody(rawMessage({ text: long(MiB + 1) })));
    refused(() => decodeMessageBody(rawMessage({ presence: 2 })));
    refused(() => decodeMessageBody(rawMessage({ text: Uint8Array.of(0xed, 0xa0, 0x80) })));
    refused(() => decodeMessageBody(rawMessage({ topic: Uint8Array.of(0xc0, 0x80) })));
    refused(() => decodeMessageBody(rawMessage({ replyTo: new Uint8Array(15) })));
    refused(() => decodeMessageBody(rawMessage({ format: 2 })));
  });

  it('refuses a response without replyTo, and accepts one with it', () => {
    refused(() => decodeMessageBody(rawMessage({ type: 2 })));
    assert.equal(
      decodeMessageBody(rawMessage({ type: 2, replyTo: new Uint8Array(16) })).type,
      'response',
    );
  });

  it('the writer refuses what the reader would', () => {
    const bad: unknown[] = [
      { ...ok, type: 'question' },
      { ...ok, priority: 'high' },
      { ...ok, topic: 'a'.repeat(257) },
      { ...ok, topic: 'é'.repeat(129) }, // 258 bytes in 129 characters
      { ...ok, text: 'a'.repeat(MiB + 1) },
      { ...ok, text: '\ud800' },
      { ...ok, text: 5 },
      { ...ok, replyTo: new Uint8Array(15) },
      { ...ok, type: 'response' },
      { ...ok, type: 'response', replyTo: null },
      undefined,
    ];
    for (const m of bad) badArgument(() => encodeMessageBody(m as MessageBody), JSON.stringify(m));
  });
});

describe('snippet rules (10.3)', () => {
  const ok: SnippetBody = {
    title: 't',
    language: 'ts',
    path: 'src/a.ts',
    lines: { first: 1, last: 1 },
    gitRemote: '',
    commit: new Uint8Array(0),
    note: '',
    kind: 'patch',
    content: '',
  };

  it('accepts the limits', () => {
    const s: SnippetBody = {
      ...ok,
      title: 'a'.repeat(256),
      language: 'b'.repeat(64),
      path: `${'c/'.repeat(2047)}d`,
      lines: { first: 0xffffffff, last: 0xffffffff },
      gitRemote: `https://h/${'e'.repeat(2038)}`,
      commit: new Uint8Array(32),
      note: 'f'.repeat(4096),
      content: 'g'.repeat(MiB),
    };
    assert.equal(utf8(s.path).length, 4095);
    assert.deepStrictEqual(decodeSnippetBody(encodeSnippetBody(s)), s);
    const noLines: SnippetBody = { ...ok, path: '' };
    delete noLines.lines;
    assert.deepStrictEqual(decodeSnippetBody(encodeSnippetBody(noLines)), noLines);
  });

  it('refuses paths that break the path rule', () => {
    for (const p of [
      '/etc/passwd',
      'a/../b',
      '..',
      '.',
      './a',
      'a/.',
      'a//b',
      'a/',
      'a\\b',
      'a\0b',
      '/',
    ]) {
      refused(() => decodeSnippetBody(rawSnippet({ path: p })), 'encoding', p);
      refused(() => checkSnippetPath(p), 'encoding', p);
      badArgument(() => encodeSnippetBody({ ...ok, path: p }), p);
    }
    refused(() => checkSnippetPath(''));
    checkSnippetPath('...'); // an ordinary name
    checkSnippetPath('a/.hidden/b..c');
    refused(() => decodeSnippetBody(rawSnippet({ path: 'a'.repeat(4097) })));
  });

  it('refuses bad line ranges', () => {
    refused(() => decodeSnippetBody(rawSnippet({ lines: [0, 1] })));
    refused(() => decodeSnippetBody(rawSnippet({ lines: [5, 4] })));
    refused(() => decodeSnippetBody(rawSnippet({ path: '', lines: [1, 2] })));
    badArgument(() => encodeSnippetBody({ ...ok, lines: { first: 0, last: 0 } }));
    badArgument(() => encodeSnippetBody({ ...ok, lines: { first: 3, last: 2 } }));
    badArgument(() => encodeSnippetBody({ ...ok, path: '' }));
    badArgument(() => encodeSnippetBody({ ...ok, lines: { first: 1, last: 2 ** 32 } }));
  });

  it('refuses commits of other lengths', () => {
    for (const n of [1, 7, 19, 21, 31, 33, 40]) {
      refused(
        () => decodeSnippetBody(rawSnippet({ commit: new Uint8Array(n) })),
        'encoding',
        `${n}`,
      );
      badArgument(() => encodeSnippetBody({ ...ok, commit: new Uint8Array(n) }));
    }
  });

  it('refuses a remote with user information, over-long fields and unknown kinds', () => {
    for (const r of ['https://u:p@github.com/o/r', 'git@github.com:o/r.git', 'ssh://git@h/r']) {
      refused(() => decodeSnippetBody(rawSnippet({ gitRemote: r })), 'encoding', r);
      badArgument(() => encodeSnippetBody({ ...ok, gitRemote: r }));
    }
    refused(() => decodeSnippetBody(rawSnippet({ gitRemote: `h:${'a'.repeat(2047)}` })));
    refused(() => decodeSnippetBody(rawSnippet({ title: long(257) })));
    refused(() => decodeSnippetBody(rawSnippet({ language: long(65) })));
    refused(() => decodeSnippetBody(rawSnippet({ note: long(4097) })));
    refused(() => decodeSnippetBody(rawSnippet({ content: long(MiB + 1) })));
    for (const kind of [0, 3]) refused(() => decodeSnippetBody(rawSnippet({ kind })));
    badArgument(() => encodeSnippetBody({ ...ok, kind: 'diff' as 'patch' }));
    badArgument(() => encodeSnippetBody({ ...ok, language: 'x'.repeat(65) }));
  });

  it('stripGitCredentials removes user information and is a fixed point', () => {
    const cases: [string, string][] = [
      ['https://user:tok@github.com/o/r.git', 'https://github.com/o/r.git'],
      ['https://a@b@host:8443/r?x@y#z@w', 'https://host:8443/r?x@y#z@w'],
      ['ssh://git@github.com/o/r', 'ssh://github.com/o/r'],
      ['git@github.com:o/r.git', 'github.com:o/r.git'],
      ['u:p@host:path/x@y', 'host:path/x@y'],
      ['https://github.com/o/r@v1', 'https://github.com/o/r@v1'],
      ['/home/a@b/repo', '/home/a@b/repo'],
      ['file:///srv/r@x', 'file:///srv/r@x'],
      ['@a://@', 'a://'],
      ['', ''],
    ];
    for (const [input, out] of cases) {
      assert.equal(stripGitCredentials(input), out, input);
      assert.equal(stripGitCredentials(out), out);
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'a@:/\\?#s'), maxLength: 12 }), (s) => {
        const once = stripGitCredentials(s);
        assert.equal(stripGitCredentials(once), once);
      }),
    );
  });
});

describe('entry rules (10.4)', () => {
  const ok: EntryBody = { environment: '', name: 'n', value: utf8('{"a":[1,2]}'), comment: '' };

  it('accepts the limits; secrets carry any octets', () => {
    const e: EntryBody = {
      environment: 'a'.repeat(128),
      name: 'b'.repeat(1024),
      value: utf8(`"${'c'.repeat(MiB - 2)}"`),
      comment: 'd'.repeat(4096),
    };
    assert.deepStrictEqual(decodeEntryBody(encodeEntryBody(e, 'kv'), 'kv'), e);
    const s = { ...ok, value: Uint8Array.of(0xff, 0xfe, 0) };
    assert.deepStrictEqual(decodeEntryBody(encodeEntryBody(s, 'secret'), 'secret'), s);
  });

  it('refuses kv values that are not one JSON text in UTF-8', () => {
    for (const v of ['', 'x', '{', '1 2', "{'a':1}", '[1,]', 'NaN', '\ufeff1', '"\u0001"', '01']) {
      refused(() => decodeEntryBody(rawEntry({ value: utf8(v) }), 'kv'), 'encoding', v);
      badArgument(() => encodeEntryBody({ ...ok, value: utf8(v) }, 'kv'), v);
      // the same bytes are a valid secret
      assert.deepStrictEqual(
        decodeEntryBody(rawEntry({ value: utf8(v) }), 'secret').value,
        utf8(v),
      );
    }
    refused(() => decodeEntryBody(rawEntry({ value: Uint8Array.of(0x22, 0xff, 0x22) }), 'kv'));
  });

  it('refuses over-long and empty fields', () => {
    for (const c of ['kv', 'secret'] as const) {
      refused(() => decodeEntryBody(rawEntry({ environment: long(129) }), c));
      refused(() => decodeEntryBody(rawEntry({ name: long(0) }), c));
      refused(() => decodeEntryBody(rawEntry({ name: long(1025) }), c));
      refused(() => decodeEntryBody(rawEntry({ value: long(MiB + 1) }), c));
      refused(() => decodeEntryBody(rawEntry({ comment: long(4097) }), c));
      badArgument(() => encodeEntryBody({ ...ok, name: '' }, c));
      badArgument(() => encodeEntryBody({ ...ok, value: new Uint8Array(MiB + 1) }, c));
    }
    badArgument(() => encodeEntryBody(ok, 'file' as 'kv'));
    badArgument(() => decodeEntryBody(rawEntry({}), 'message' as 'kv'));
  });
});

describe('file manifest rules (10.5)', () => {
  it('accepts the limits and chunk-count boundaries', () => {
    for (const [size, chunkCount] of [
      [0, 1],
      [1, 1],
      [65536, 1],
      [65537, 2],
      [2 ** 53 - 1, 2 ** 37],
    ] as const) {
      const m = { ...goodManifest, size, chunkCount };
      assert.deepStrictEqual(decodeFileManifest(encodeFileManifest(m)), m);
    }
    const m = {
      ...goodManifest,
      name: 'a'.repeat(4096),
      mediaType: `${'a'.repeat(127)}/${'b'.repeat(127)}`,
    };
    assert.deepStrictEqual(decodeFileManifest(encodeFileManifest(m)), m);
  });

  it('refuses a wrong chunk count', () => {
    for (const [size, chunkCount] of [
      [0, 0],
      [0, 2],
      [65536, 2],
      [65537, 1],
    ] as const) {
      refused(() => decodeFileManifest(rawManifest({ size, chunkCount })));
      badArgument(() => encodeFileManifest({ ...goodManifest, size, chunkCount }));
      refused(() =>
        checkManifestHeader(
          { objectId: goodManifest.streamObjectId, objectVersion: 3 },
          { ...goodManifest, size, chunkCount },
        ),
      );
    }
  });

  it('refuses bad names, media types and u64 values', () => {
    for (const name of ['', '../x', '/x', 'a//b', 'a\\b']) {
      refused(() => decodeFileManifest(rawManifest({ name })), 'encoding', name);
      badArgument(() => encodeFileManifest({ ...goodManifest, name }));
    }
    refused(() => decodeFileManifest(rawManifest({ name: 'a'.repeat(4097) })));
    refused(() => decodeFileManifest(rawManifest({ nameBytes: Uint8Array.of(0x61, 0x80) })));
    for (const mediaType of [
      'Text/plain',
      'text/plain; charset=utf-8',
      'text',
      'text/',
      '/plain',
      'text/plain/x',
      ' text/plain',
      `${'a'.repeat(128)}/b`,
    ]) {
      refused(() => decodeFileManifest(rawManifest({ mediaType })), 'encoding', mediaType);
      badArgument(() => encodeFileManifest({ ...goodManifest, mediaType }));
    }
    refused(() => decodeFileManifest(rawManifest({ sizeHi: 0x200000 })));
    badArgument(() => encodeFileManifest({ ...goodManifest, size: 2 ** 53, chunkCount: 2 ** 37 }));
    badArgument(() => encodeFileManifest({ ...goodManifest, contentKey: new Uint8Array(31) }));
  });

  it('checkManifestHeader binds the stream inputs to the header', () => {
    const h = { objectId: goodManifest.streamObjectId, objectVersion: 3 };
    checkManifestHeader(h, goodManifest);
    refused(() => checkManifestHeader({ ...h, objectVersion: 4 }, goodManifest), 'context');
    refused(
      () => checkManifestHeader({ ...h, objectId: new Uint8Array(16) }, goodManifest),
      'context',
    );
  });
});

for (const b of backends) {
  describe(`checkEntryIndex (${b.name})`, async () => {
    const tk1 = asTeamKey(new Uint8Array(32).fill(9));
    const teamId = new Uint8Array(32).fill(8);
    const keys = {
      kv: await indexKey(b, tk1, teamId, 'kv'),
      secret: await indexKey(b, tk1, teamId, 'secret'),
    };
    const entry: EntryBody = {
      environment: 'prod',
      name: 'DATABASE_URL',
      value: utf8('x'),
      comment: '',
    };
    const header = (collection: number, blind: Uint8Array | undefined) => ({
      collection: collection as 3,
      blindIndex: blind,
    });
    const forPurpose = (p: 'kv' | 'secret') => keys[p];

    it('accepts the index of the entry under its own collection, scope and name', async () => {
      const idx = await blindIndex(b, keys.secret, 'prod', 'DATABASE_URL');
      await checkEntryIndex(b, keys.secret, header(COLLECTION.secret, idx), entry);
      await checkEntryIndex(b, forPurpose, header(COLLECTION.secret, idx), entry);
      await checkEntryIndex(b, async (p) => forPurpose(p), header(COLLECTION.secret, idx), entry);
    });

    it('refuses another name, another environment, another purpose or no index as context', async () => {
      const idx = await blindIndex(b, keys.secret, 'prod', 'DATABASE_URL');
      const ctx = async (p: Promise<void>) =>
        assert.rejects(p, (e: unknown) => e instanceof EnvelopeError && e.reason === 'context');
      await ctx(
        checkEntryIndex(b, forPurpose, header(COLLECTION.secret, idx), {
          ...entry,
          name: 'API_KEY',
        }),
      );
      await ctx(
        checkEntryIndex(b, forPurpose, header(COLLECTION.secret, idx), {
          ...entry,
          environment: 'dev',
        }),
      );
      await ctx(checkEntryIndex(b, forPurpose, header(COLLECTION.kv, idx), entry));
      await ctx(checkEntryIndex(b, forPurpose, header(COLLECTION.secret, undefined), entry));
      // ("prod", "X") and ("pro", "dX") are different (scope, name) pairs
      await ctx(
        checkEntryIndex(b, forPurpose, header(COLLECTION.secret, idx), {
          ...entry,
          environment: 'prodD',
          name: 'ATABASE_URL',
        }),
      );
      await assert.rejects(
        checkEntryIndex(b, forPurpose, header(COLLECTION.message, idx), entry),
        ArgumentError,
      );
    });
  });
}
