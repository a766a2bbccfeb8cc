/** File manifest bodies (PROTOCOL.md section 10.5, collection 5). */
import { equalBytes } from '../bytes.js';
import { EnvelopeError } from '../envelope/errors.js';
import type { EnvelopeHeader } from '../envelope/header.js';
import { STREAM_CHUNK_SIZE } from '../stream/format.js';
import { decodeBody, encodeBody, getStr, putStr, rule } from './common.js';
import { pathProblem } from './path.js';

const MAX_NAME = 4096;
const MAX_MEDIA_TYPE = 255;
/** RFC 6838 restricted-name, lower case, `type/subtype` without parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** A file manifest: the plaintext body of a `file` envelope; the content is a STREAM (6). */
export interface FileManifest {
  /** A file name or a relative path under the 10.3 path rule, 1 to 4096 bytes. */
  name: string;
  /** Lower-case `type/subtype` (RFC 6838) without parameters, at most 255 bytes; empty: unknown. */
  mediaType: string;
  /** Plaintext length in bytes. */
  size: number;
  /** Modification time, ms since the epoch, as claimed by the writer. */
  mtime: number;
  /** The 32-byte STREAM content key, fresh for every file version (6.2). */
  contentKey: Uint8Array;
  /** The `objectId` input of 6.2: equal to the envelope header's `objectId` (16 bytes). */
  streamObjectId: Uint8Array;
  /** The `version` input of 6.2: equal to the envelope header's `objectVersion`. */
  streamVersion: number;
  /** The relay's 16-byte name for the stored STREAM ciphertext. */
  blobId: Uint8Array;
  /** `max(1, ceil(size / 65 536))`. */
  chunkCount: number;
  /** SHA-256 of the plaintext (32 bytes). */
  sha256: Uint8Array;
}

/** The one valid chunk count of a plaintext of `size` bytes (6.3). */
function chunksOf(size: number): number {
  return Math.max(1, Math.ceil(size / STREAM_CHUNK_SIZE));
}

function checkFields(m: Pick<FileManifest, 'name' | 'mediaType' | 'size' | 'chunkCount'>): void {
  const problem = pathProblem(m.name);
  rule(problem === undefined, `file name: ${problem ?? ''}`);
  rule(
    m.mediaType === '' || MEDIA_TYPE.test(m.mediaType),
    'mediaType is not a lower-case type/subtype',
  );
  rule(m.chunkCount === chunksOf(m.size), 'chunkCount does not match size');
}

/**
 * Encodes a file manifest (10.5).
 *
 * @throws ArgumentError when a field breaks a rule of 10.5 (sizes and lengths, the name's
 * path rule, the media type, `chunkCount` not `max(1, ceil(size / 65536))`).
 * @example encodeFileManifest({ name: 'report.pdf', mediaType: 'application/pdf', size, mtime, contentKey, streamObjectId: objectId, streamVersion: 1, blobId, chunkCount: Math.max(1, Math.ceil(size / 65536)), sha256 })
 */
export function encodeFileManifest(m: FileManifest): Uint8Array {
  return encodeBody('file manifest', (w) => {
    putStr(w, 'name', m.name, MAX_NAME, 1);
    putStr(w, 'mediaType', m.mediaType, MAX_MEDIA_TYPE);
    w.u64(m.size).u64(m.mtime);
    w.fixed(m.contentKey, 32).fixed(m.streamObjectId, 16).u64(m.streamVersion);
    w.fixed(m.blobId, 16).u64(m.chunkCount).fixed(m.sha256, 32);
    checkFields(m);
  });
}

/**
 * Decodes a file manifest (10.5), accepting only its one canonical encoding. Call
 * {@link checkManifestHeader} next, with the envelope's header.
 *
 * @throws EnvelopeError `encoding` for any non-canonical input or broken rule.
 * @example const m = decodeFileManifest(body); checkManifestHeader(header, m);
 */
export function decodeFileManifest(b: Uint8Array): FileManifest {
  return decodeBody('file manifest', b, (r) => {
    const m: FileManifest = {
      name: getStr(r, 'name', MAX_NAME, 1),
      mediaType: getStr(r, 'mediaType', MAX_MEDIA_TYPE),
      size: r.u64(),
      mtime: r.u64(),
      contentKey: r.fixed(32),
      streamObjectId: r.fixed(16),
      streamVersion: r.u64(),
      blobId: r.fixed(16),
      chunkCount: r.u64(),
      sha256: r.fixed(32),
    };
    checkFields(m);
    return m;
  });
}

/**
 * Checks a manifest against the header of the envelope that carried it (10.5): the STREAM
 * inputs `streamObjectId` and `streamVersion` must be the header's `objectId` and
 * `objectVersion`, so a manifest cannot point its reader at another object's content.
 *
 * @throws EnvelopeError `context` when they differ; `encoding` when `chunkCount` is not
 * `max(1, ceil(size / 65536))` (decodeFileManifest already refuses that).
 * @example checkManifestHeader(opened.header, decodeFileManifest(opened.body));
 */
export function checkManifestHeader(
  header: Pick<EnvelopeHeader, 'objectId' | 'objectVersion'>,
  manifest: FileManifest,
): void {
  if (manifest.chunkCount !== chunksOf(manifest.size)) {
    throw new EnvelopeError('encoding', 'chunkCount does not match size');
  }
  if (
    !equalBytes(manifest.streamObjectId, header.objectId) ||
    manifest.streamVersion !== header.objectVersion
  ) {
    throw new EnvelopeError(
      'context',
      'manifest names another object or version than its envelope',
    );
  }
}
