/**
 * The second implementation hush's HPKE is checked against: @hpke/core (hpke-js) with
 * DhkemX25519HkdfSha256, HkdfSha256 and Aes256Gcm. Tests only; raw 32-byte keys in and
 * out so the tests speak hush's byte-level API on both sides.
 */
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

/** A copy backed by a plain ArrayBuffer, which @hpke/core's typings want. */
function buf(b: Uint8Array): ArrayBuffer {
  return new Uint8Array(b).buffer;
}

/** @hpke/core single-shot seal to a raw X25519 public key. */
export async function peerSeal(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  const pk = await suite.kem.deserializePublicKey(buf(recipientPublicKey));
  const r = await suite.seal({ recipientPublicKey: pk, info: buf(info) }, buf(pt), buf(aad));
  return { enc: new Uint8Array(r.enc), ct: new Uint8Array(r.ct) };
}

/** @hpke/core single-shot open with a raw X25519 private key. */
export async function peerOpen(
  recipientPrivateKey: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Uint8Array> {
  const sk = await suite.kem.importKey('raw', buf(recipientPrivateKey), false);
  const pt = await suite.open(
    { recipientKey: sk, enc: buf(enc), info: buf(info) },
    buf(ct),
    buf(aad),
  );
  return new Uint8Array(pt);
}

/**
 * @hpke/core sender context with a pinned ephemeral ikmE (its testing-only `ekm`):
 * seals each `aad` in turn (sequence numbers 0, 1, ...) and runs the exports.
 */
export async function peerSenderTranscript(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  ikmE: Uint8Array,
  pt: Uint8Array,
  aads: readonly Uint8Array[],
  exportContexts: readonly Uint8Array[],
): Promise<{ enc: Uint8Array; cts: Uint8Array[]; exports: Uint8Array[] }> {
  const pk = await suite.kem.deserializePublicKey(buf(recipientPublicKey));
  const ctx = await suite.createSenderContext({
    recipientPublicKey: pk,
    info: buf(info),
    ekm: buf(ikmE),
  });
  const cts: Uint8Array[] = [];
  for (const aad of aads) cts.push(new Uint8Array(await ctx.seal(buf(pt), buf(aad))));
  const exports: Uint8Array[] = [];
  for (const c of exportContexts) exports.push(new Uint8Array(await ctx.export(buf(c), 32)));
  return { enc: new Uint8Array(ctx.enc), cts, exports };
}
