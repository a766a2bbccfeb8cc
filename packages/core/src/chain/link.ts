/**
 * The link layout shared by principal and team chains (PROTOCOL.md section 3.1):
 *
 * body = u8 version(1) || u8 chainKind || chainId(32) || u64 seq || prev(32) || u64 time ||
 *        signerDevice(32) || author(32) || u8 type || type fields
 * link = bytes(body) || u8 n || n x signature(64)
 *
 * signature[0] = Ed25519(signer device, str("hush/v1/link-sig") || body); a second signature,
 * when the type requires one, is by the new device (str("hush/v1/link-countersig")) or the
 * invite key (str("hush/v1/link-invitesig")) over the same body. chainId and prev are zero
 * in the genesis link; the chain id is the genesis link's hash:
 * linkHash = SHA-256(str("hush/v1/link-hash") || link).
 */
import type { CryptoBackend } from '../backend/types.js';
import { Reader, Writer } from '../encoding/canonical.js';
import { LABEL, labelled, taggedHash } from '../labels.js';
import { ChainError } from './errors.js';

export const CHAIN_PRINCIPAL = 1;
export const CHAIN_TEAM = 2;
export type ChainKind = typeof CHAIN_PRINCIPAL | typeof CHAIN_TEAM;

/** Fields every link carries before its type-specific body. */
export interface LinkCommon {
  readonly chainKind: ChainKind;
  readonly chainId: Uint8Array;
  readonly seq: number;
  readonly prev: Uint8Array;
  readonly time: number;
  readonly signerDevice: Uint8Array;
  readonly author: Uint8Array;
}

/** A parsed link: common fields, the type-specific body, signatures and derived hashes. */
export interface ParsedLink<B> extends LinkCommon {
  readonly body: B;
  readonly bodyBytes: Uint8Array;
  readonly signatures: readonly Uint8Array[];
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
}

/** Encodes and decodes one family of link bodies (principal or team). */
export interface BodyCodec<B> {
  readonly kind: ChainKind;
  write(w: Writer, body: B): void;
  read(r: Reader): B;
  /** Number of signatures the body's type requires (1 or 2). */
  signatures(body: B): number;
}

/** The labels of signature slot 0 and 1. */
export type SecondSigner = 'countersig' | 'invitesig';

export const ZERO32 = new Uint8Array(32);

function encodeBody<B>(codec: BodyCodec<B>, c: LinkCommon, body: B): Uint8Array {
  const w = new Writer()
    .u8(1)
    .u8(codec.kind)
    .fixed(c.chainId, 32)
    .u64(c.seq)
    .fixed(c.prev, 32)
    .u64(c.time)
    .fixed(c.signerDevice, 32)
    .fixed(c.author, 32);
  codec.write(w, body);
  return w.finish();
}

/** Serializes a parsed link from its fields (not from the bytes it was parsed from). */
export function serializeLink<B>(
  codec: BodyCodec<B>,
  link: LinkCommon & { body: B; signatures: readonly Uint8Array[] },
): Uint8Array {
  const w = new Writer().bytes(encodeBody(codec, link, link.body)).u8(link.signatures.length);
  for (const s of link.signatures) w.fixed(s, 64);
  return w.finish();
}

/** The bytes signature slot `slot` signs. */
export function signatureInput(
  bodyBytes: Uint8Array,
  slot: number,
  second: SecondSigner,
): Uint8Array {
  const label =
    slot === 0
      ? LABEL.linkSig
      : second === 'countersig'
        ? LABEL.linkCounterSig
        : LABEL.linkInviteSig;
  return labelled(label).fixed(bodyBytes, bodyBytes.length).finish();
}

/** SHA-256(str("hush/v1/link-hash") || link). */
export function linkHash(b: CryptoBackend, linkBytes: Uint8Array): Promise<Uint8Array> {
  return taggedHash(b, LABEL.linkHash, linkBytes);
}

/**
 * Builds and signs a link. `signers[0]` is the signer device's seed; `signers[1]`, when the
 * body needs it, is the countersigning device's or the invite key's seed.
 */
export async function buildLink<B>(
  b: CryptoBackend,
  codec: BodyCodec<B>,
  common: Omit<LinkCommon, 'chainKind'>,
  body: B,
  signers: readonly Uint8Array[],
  second: SecondSigner = 'countersig',
): Promise<ParsedLink<B>> {
  const c = { ...common, chainKind: codec.kind };
  const bodyBytes = encodeBody(codec, c, body);
  if (signers.length !== codec.signatures(body))
    throw new ChainError('invalid', 'wrong number of signers for this link type');
  const signatures: Uint8Array[] = [];
  for (const [i, seed] of signers.entries())
    signatures.push(await b.ed25519Sign(seed, signatureInput(bodyBytes, i, second)));
  const w = new Writer().bytes(bodyBytes).u8(signatures.length);
  for (const s of signatures) w.fixed(s, 64);
  const bytes = w.finish();
  return { ...c, body, bodyBytes, signatures, bytes, hash: await linkHash(b, bytes) };
}

/** Parses a link of the codec's chain kind; anything non-canonical raises ChainError('encoding'). */
export async function parseLink<B>(
  b: CryptoBackend,
  codec: BodyCodec<B>,
  bytes: Uint8Array,
): Promise<ParsedLink<B>> {
  let parsed: Omit<ParsedLink<B>, 'hash'>;
  try {
    const outer = new Reader(bytes);
    const bodyBytes = outer.bytes();
    const n = outer.u8();
    const signatures: Uint8Array[] = [];
    for (let i = 0; i < n; i++) signatures.push(outer.fixed(64));
    outer.end();
    const r = new Reader(bodyBytes);
    if (r.u8() !== 1) throw new ChainError('version', 'unsupported link version');
    if (r.u8() !== codec.kind)
      throw new ChainError('wrong-chain', 'link belongs to another kind of chain');
    const common = {
      chainKind: codec.kind,
      chainId: r.fixed(32),
      seq: r.u64(),
      prev: r.fixed(32),
      time: r.u64(),
      signerDevice: r.fixed(32),
      author: r.fixed(32),
    };
    const body = codec.read(r);
    r.end();
    if (signatures.length !== codec.signatures(body))
      throw new ChainError('encoding', 'wrong number of signatures for this link type');
    parsed = { ...common, body, bodyBytes, signatures, bytes };
  } catch (e) {
    if (e instanceof ChainError) throw e;
    throw new ChainError('encoding', 'link is not canonically encoded');
  }
  return { ...parsed, hash: await linkHash(b, bytes) };
}

/** Verifies signature slot `slot` against a public key; throws ChainError('bad-signature'). */
export async function checkLinkSignature(
  b: CryptoBackend,
  link: ParsedLink<unknown>,
  slot: number,
  publicKey: Uint8Array,
  second: SecondSigner = 'countersig',
): Promise<void> {
  const sig = link.signatures[slot];
  if (
    !sig ||
    !(await b.ed25519Verify(publicKey, signatureInput(link.bodyBytes, slot, second), sig))
  ) {
    throw new ChainError('bad-signature', `signature ${slot} does not verify`, link.seq);
  }
}
