/** Message bodies (PROTOCOL.md section 10.2, collection 1). */
import {
  decodeBody,
  encodeBody,
  enumByte,
  getEnum,
  getStr,
  MAX_LARGE,
  putStr,
  rule,
} from './common.js';

const TYPES = ['request', 'response', 'notification'] as const;
const PRIORITIES = ['normal', 'urgent', 'blocking'] as const;
const MAX_TOPIC = 256;

/** A message: the plaintext body of a `message` envelope. */
export interface MessageBody {
  /** `response` answers the message named by `replyTo`, which it must carry. */
  type: 'request' | 'response' | 'notification';
  /** Advice to the recipient's client; `blocking` means the sender waits for a response. */
  priority: 'normal' | 'urgent' | 'blocking';
  /** At most 256 bytes of UTF-8; empty means no topic. */
  topic: string;
  /** The 16-byte object id of the message this one answers; absent when it answers none. */
  replyTo?: Uint8Array;
  /** At most 1 048 576 bytes of UTF-8; clients may render it as Markdown. */
  text: string;
}

/**
 * Encodes a message body (10.2): `u8 1 || u8 type || u8 priority || str(topic) ||
 * opt(replyTo(16)) || str(text)`.
 *
 * @throws ArgumentError when a field breaks a rule of 10.2 (an unknown type or priority, a
 * field over its maximum, a string that is not well-formed Unicode, a `replyTo` that is not
 * 16 bytes, a `response` without `replyTo`).
 * @example
 * const body = encodeMessageBody({
 *   type: 'request',
 *   priority: 'blocking',
 *   topic: 'deploy',
 *   text: 'May I run the migration on production?',
 * });
 * // seal it: sealTeamEnvelope(backend, { ..., collection: COLLECTION.message, body })
 */
export function encodeMessageBody(m: MessageBody): Uint8Array {
  return encodeBody('message', (w) => {
    const type = enumByte('message type', TYPES, m.type);
    w.u8(type).u8(enumByte('message priority', PRIORITIES, m.priority));
    putStr(w, 'topic', m.topic, MAX_TOPIC);
    const replyTo = m.replyTo ?? undefined; // null is absent too, as Writer.opt reads it
    rule(replyTo !== undefined || m.type !== 'response', 'a response needs replyTo');
    w.opt(replyTo, (x, v) => x.fixed(v, 16));
    putStr(w, 'text', m.text, MAX_LARGE);
  });
}

/**
 * Decodes a message body (10.2), accepting only its one canonical encoding.
 *
 * @throws EnvelopeError `encoding` for another format byte, an unknown type or priority, a
 * field over its maximum, invalid UTF-8, a presence byte other than 0 or 1, a `response`
 * without `replyTo`, truncation or trailing bytes. An empty input (a tombstone's body) is
 * refused too: the caller checks the tombstone flag first.
 * @example
 * const { body } = await openTeamEnvelope(backend, envelope, context);
 * const m = decodeMessageBody(body);
 * if (m.type === 'response' && m.replyTo) showThread(m.replyTo);
 */
export function decodeMessageBody(b: Uint8Array): MessageBody {
  return decodeBody('message', b, (r) => {
    const type = getEnum(r, 'message type', TYPES);
    const priority = getEnum(r, 'message priority', PRIORITIES);
    const topic = getStr(r, 'topic', MAX_TOPIC);
    const replyTo = r.opt((x) => x.fixed(16));
    rule(replyTo !== undefined || type !== 'response', 'a response needs replyTo');
    const text = getStr(r, 'text', MAX_LARGE);
    return replyTo === undefined
      ? { type, priority, topic, text }
      : { type, priority, topic, replyTo, text };
  });
}
