/**
 * Fuzzing the text and small binary parsers: base64url, invite tokens, Padmé padding,
 * encrypted team fields and the five object bodies (PROTOCOL.md 1.2, 4.5, 7.7, 5.4, 10).
 * Each either parses and re-serializes byte-identically (or, for the authenticated team
 * field, opens only the exact bytes that were sealed) or throws its one typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend as b } from '../src/backend/node.js';
import { decodeEntryBody, encodeEntryBody } from '../src/bodies/entry.js';
import { decodeFileManifest, encodeFileManifest } from '../src/bodies/manifest.js';
import { decodeMessageBody, encodeMessageBody } from '../src/bodies/message.js';
import { decodeSnippetBody, encodeSnippetBody } from '../src/bodies/snippet.js';
import { utf8 } from '../src/bytes.js';
import { fromBase64url, toBase64url } from '../src/encoding/base64url.js';
import { EnvelopeError } from '../src/envelope/errors.js';
import { EncodingError, OpenError } from '../src/errors.js';
import { formatInviteToken, newInviteToken, parseInviteToken } from '../src/invite.js';
import { pad, unpad } from '../src/padding.js';
import { generateTeamKey, openTeamField, sealTeamField } from '../src/team-key.js';
import { fuzzParser, isOneOf, mutatedFrom, mutatedText, sameBytes } from './fuzz-kit.js';

const encodingError = (e: unknown) => e instanceof EncodingError;
const bodyEncodingError = (e: unknown) => e instanceof EnvelopeError && e.reason === 'encoding';

describe('fuzz: text and small binary parsers', () => {
  it('base64url: canonical text round-trips, anything else is an EncodingError', async () => {
    const seeds = [0, 1, 2, 3, 16, 32, 33, 100].map((n) => toBase64url(b.randomBytes(n)));
    await fuzzParser({
      name: 'base64url',
      input: mutatedText(seeds),
      parse: fromBase64url,
      accepted: (s, bytes) => assert.equal(toBase64url(bytes), s),
      typed: encodingError,
    });
  });

  it('invite tokens: parse then format gives the (trimmed) text, else an EncodingError', async () => {
    const seeds = [
      formatInviteToken(newInviteToken(b, 'team', b.randomBytes(32))),
      formatInviteToken(newInviteToken(b, 'device', b.randomBytes(32))),
    ];
    await fuzzParser({
      name: 'invite-token',
      input: mutatedText(seeds),
      parse: parseInviteToken,
      // Surrounding whitespace is trimmed on purpose (pasted tokens); the rest is exact.
      accepted: (s, t) => assert.equal(formatInviteToken(t), s.trim()),
      typed: encodingError,
    });
  });

  it('Padmé padding: unpad then pad is the identity, else an EncodingError', async () => {
    const seeds = [0, 1, 5, 63, 64, 100, 1000].map((n) => pad(b.randomBytes(n)));
    await fuzzParser({
      name: 'padding',
      input: mutatedFrom(seeds),
      parse: unpad,
      accepted: (x, body) => sameBytes(pad(body), x, 'padding'),
      typed: encodingError,
    });
  });

  it('team fields: open only the sealed bytes, else an EncodingError or OpenError', async () => {
    const key = generateTeamKey(b);
    const context = b.randomBytes(32);
    const names = ['platform', '', 'a much longer team name, with ünïcödé'];
    const seeds = await Promise.all(
      names.map((n, i) => sealTeamField(b, key, i + 1, 'team-name', context, utf8(n))),
    );
    await fuzzParser({
      name: 'team-field',
      input: mutatedFrom(seeds),
      parse: (x) => openTeamField(b, key, 'team-name', context, x),
      accepted: (x, value) => {
        assert.ok(isOneOf(x, seeds), 'a changed team field opened');
        assert.equal(
          new TextDecoder().decode(value),
          names[seeds.findIndex((s) => isOneOf(x, [s]))],
        );
      },
      typed: (e) => e instanceof EncodingError || e instanceof OpenError,
    });
  });

  const bodies = [
    {
      name: 'body-message',
      seeds: [
        encodeMessageBody({ type: 'notification', priority: 'normal', topic: '', text: 'hi' }),
        encodeMessageBody({
          type: 'response',
          priority: 'urgent',
          topic: 'deploy',
          replyTo: b.randomBytes(16),
          text: 'the migration is ready ✓',
        }),
      ],
      round: (x: Uint8Array) => encodeMessageBody(decodeMessageBody(x)),
    },
    {
      name: 'body-snippet',
      seeds: [
        encodeSnippetBody({
          title: 'fix',
          language: 'typescript',
          path: 'src/a.ts',
          lines: { first: 3, last: 9 },
          gitRemote: 'https://github.com/o/r.git',
          commit: b.randomBytes(20),
          note: 'see line 4',
          kind: 'content',
          content: 'const a = 1;\n',
        }),
        encodeSnippetBody({
          title: '',
          language: '',
          path: '',
          gitRemote: '',
          commit: new Uint8Array(0),
          note: '',
          kind: 'patch',
          content: 'diff --git a/x b/x\n',
        }),
      ],
      round: (x: Uint8Array) => encodeSnippetBody(decodeSnippetBody(x)),
    },
    ...(['kv', 'secret'] as const).map((c) => ({
      name: `body-${c}`,
      seeds: [
        encodeEntryBody(
          { environment: 'prod', name: 'DATABASE_URL', value: utf8('"x"'), comment: 'c' },
          c,
        ),
        encodeEntryBody({ environment: '', name: 'n', value: utf8('[1,2]'), comment: '' }, c),
      ],
      round: (x: Uint8Array) => encodeEntryBody(decodeEntryBody(x, c), c),
    })),
    {
      name: 'body-file',
      seeds: [
        encodeFileManifest({
          name: 'docs/report.pdf',
          mediaType: 'application/pdf',
          size: 200_000,
          mtime: 1_760_000_000_000,
          contentKey: b.randomBytes(32),
          streamObjectId: b.randomBytes(16),
          streamVersion: 1,
          blobId: b.randomBytes(16),
          sha256: b.randomBytes(32),
          chunkCount: 4,
        }),
      ],
      round: (x: Uint8Array) => encodeFileManifest(decodeFileManifest(x)),
    },
  ];
  for (const body of bodies) {
    it(`${body.name}: decode then encode is the identity, else an encoding EnvelopeError`, async () => {
      await fuzzParser({
        name: body.name,
        input: mutatedFrom(body.seeds),
        parse: body.round,
        accepted: (x, again) => sameBytes(again, x, body.name),
        typed: bodyEncodingError,
      });
    });
  }
});
