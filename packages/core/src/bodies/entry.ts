/** KV and secret entry bodies (PROTOCOL.md section 10.4, collections 3 and 4). */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes, fromUtf8 } from '../bytes.js';
import { blindIndex, type IndexPurpose } from '../blind-index.js';
import { EnvelopeError } from '../envelope/errors.js';
import { COLLECTION, type EnvelopeHeader } from '../envelope/header.js';
import { ArgumentError } from '../errors.js';
import type { IndexKey } from '../keys.js';
import { decodeBody, encodeBody, getStr, MAX_LARGE, putStr, rule } from './common.js';

const MAX = { environment: 128, name: 1024, comment: 4096 } as const;

/** A KV entry or a secret: the plaintext body of a `kv` or `secret` envelope. */
export interface EntryBody {
  /** At most 128 bytes; empty: no environment. The blind index's scope. */
  environment: string;
  /** 1 to 1024 bytes. The blind index's name. */
  name: string;
  /** At most 1 048 576 bytes: one JSON text in UTF-8 for `kv`, any octets for `secret`. */
  value: Uint8Array;
  /** At most 4096 bytes. */
  comment: string;
}

function checkCollection(collection: unknown): asserts collection is 'kv' | 'secret' {
  if (collection !== 'kv' && collection !== 'secret') {
    throw new ArgumentError('entry collection must be "kv" or "secret"');
  }
}

/** RFC 8259 JSON text in strict UTF-8: ECMAScript's JSON grammar is RFC 8259's. */
function checkJson(value: Uint8Array): void {
  const text = fromUtf8(value);
  try {
    JSON.parse(text);
  } catch {
    rule(false, 'kv value is not valid JSON');
  }
}

/**
 * Encodes a KV or secret entry (10.4). A `kv` value must be one JSON text in UTF-8, carried
 * as written (not canonicalised).
 *
 * @throws ArgumentError when a field breaks a rule of 10.4.
 * @example encodeEntryBody({ environment: 'prod', name: 'timeout', value: utf8('30'), comment: '' }, 'kv')
 */
export function encodeEntryBody(e: EntryBody, collection: 'kv' | 'secret'): Uint8Array {
  checkCollection(collection);
  return encodeBody(collection, (w) => {
    putStr(w, 'environment', e.environment, MAX.environment);
    putStr(w, 'name', e.name, MAX.name, 1);
    w.bytes(e.value);
    rule(e.value.length <= MAX_LARGE, `value must be at most ${MAX_LARGE} bytes`);
    if (collection === 'kv') checkJson(e.value);
    putStr(w, 'comment', e.comment, MAX.comment);
  });
}

/**
 * Decodes a KV or secret entry (10.4) for the envelope's collection.
 *
 * @throws EnvelopeError `encoding` for any non-canonical input or broken rule, including a
 * `kv` value that is not valid JSON in UTF-8.
 * @example const entry = decodeEntryBody(body, 'secret'); await checkEntryIndex(backend, key, header, entry);
 */
export function decodeEntryBody(b: Uint8Array, collection: 'kv' | 'secret'): EntryBody {
  checkCollection(collection);
  return decodeBody(collection, b, (r) => {
    const environment = getStr(r, 'environment', MAX.environment);
    const name = getStr(r, 'name', MAX.name, 1);
    const value = r.bytes(MAX_LARGE);
    if (collection === 'kv') checkJson(value);
    const comment = getStr(r, 'comment', MAX.comment);
    return { environment, name, value, comment };
  });
}

/**
 * Checks that an opened entry is filed under its own name (10.4): recomputes the blind index
 * (8.1) with purpose `kv` or `secret` according to `header.collection`, `scope =
 * entry.environment` and `name = entry.name`, and compares it with `header.blindIndex`.
 *
 * `indexKey` is either the purpose key of that collection (from `indexKey(b, TK_1, teamId,
 * purpose)`), or a function that returns the purpose key for a purpose, so that the purpose
 * is chosen here from the signed collection rather than by the caller.
 *
 * @throws EnvelopeError `context` when the header has no blind index or another one.
 * @throws ArgumentError when `header.collection` is not `kv` or `secret`.
 * @example await checkEntryIndex(backend, (p) => indexKey(backend, tk1, teamId, p), header, entry);
 */
export async function checkEntryIndex(
  b: CryptoBackend,
  indexKey: IndexKey | ((purpose: 'kv' | 'secret') => IndexKey | Promise<IndexKey>),
  header: Pick<EnvelopeHeader, 'collection' | 'blindIndex'>,
  entry: EntryBody,
): Promise<void> {
  let purpose: IndexPurpose & ('kv' | 'secret');
  if (header.collection === COLLECTION.kv) purpose = 'kv';
  else if (header.collection === COLLECTION.secret) purpose = 'secret';
  else throw new ArgumentError('checkEntryIndex needs a kv or secret header');
  if (!header.blindIndex) throw new EnvelopeError('context', 'entry header has no blind index');
  const key = typeof indexKey === 'function' ? await indexKey(purpose) : indexKey;
  const expected = await blindIndex(b, key, entry.environment, entry.name);
  if (!equalBytes(expected, header.blindIndex)) {
    throw new EnvelopeError('context', 'entry is filed under another blind index');
  }
}
