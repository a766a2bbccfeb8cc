// HPKE single-shot seal+open pairs per second: hush core versus @hpke/core (hpke-js),
// same suite (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), same 64-byte payload
// (a key box carries ~32 bytes), measured in the same process one after the other.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import * as core from '../packages/core/dist/src/index.js';
import { nodeBackend } from '../packages/core/dist/src/node.js';

// Until src/index.ts re-exports the HPKE functions, read them from their module.
const hpke = core.hpkeSeal ? core : await import('../packages/core/dist/src/hpke/index.js');

const PAYLOAD = 64;
const WARMUP_MS = 500;
const RUN_MS = 2000;
const SLICES = 8;

// Runs every candidate for RUN_MS in total, interleaved in short slices so a change in
// background load hits all of them alike. Returns operations per second for each.
async function rates(fns) {
  for (const fn of fns) {
    const warmEnd = performance.now() + WARMUP_MS;
    while (performance.now() < warmEnd) await fn();
  }
  const counts = fns.map(() => 0);
  const times = fns.map(() => 0);
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [i, fn] of fns.entries()) {
      const start = performance.now();
      let now = start;
      while (now - start < RUN_MS / SLICES) {
        await fn();
        counts[i]++;
        now = performance.now();
      }
      times[i] += now - start;
    }
  }
  return counts.map((n, i) => (n * 1000) / times[i]);
}

async function hushPair(backend) {
  const r = await hpke.generateX25519KeyPair(backend);
  const info = core.utf8('hush/v1/bench/info');
  const aad = core.utf8('hush/v1/bench/aad');
  const pt = backend.randomBytes(PAYLOAD);
  return async () => {
    const { enc, ct } = await hpke.hpkeSeal(backend, r.publicKey, info, aad, pt);
    const out = await hpke.hpkeOpen(backend, r.privateKey, enc, info, aad, ct);
    if (out.length !== PAYLOAD) throw new Error('round trip failed');
  };
}

async function peerPair() {
  const suite = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes256Gcm(),
  });
  // Keys imported once, as a long-lived @hpke/core user would hold them.
  const kp = await suite.kem.generateKeyPair();
  const info = core.utf8('hush/v1/bench/info').buffer;
  const aad = core.utf8('hush/v1/bench/aad').buffer;
  const pt = new Uint8Array(randomBytes(PAYLOAD)).buffer;
  return async () => {
    const { enc, ct } = await suite.seal({ recipientPublicKey: kp.publicKey, info }, pt, aad);
    const out = await suite.open({ recipientKey: kp, enc, info }, ct, aad);
    if (out.byteLength !== PAYLOAD) throw new Error('round trip failed');
  };
}

export default async function run() {
  const [hushNode, peer, hushWeb] = await rates([
    await hushPair(nodeBackend),
    await peerPair(),
    await hushPair(core.webCryptoBackend()),
  ]);
  const peerName = '@hpke/core 1.9 (WebCrypto X25519 + AES-GCM)';
  return {
    title: 'HPKE single-shot seal+open (64-byte payload)',
    rows: [
      {
        metric: 'seal+open pairs, node backend',
        unit: 'pairs/s',
        hush: Math.round(hushNode),
        peer: Math.round(peer),
        peerName,
        ratio: hushNode / peer,
      },
      {
        metric: 'seal+open pairs, WebCrypto backend',
        unit: 'pairs/s',
        hush: Math.round(hushWeb),
        peer: Math.round(peer),
        peerName,
        ratio: hushWeb / peer,
        note: 'the browser path, run here in Node',
      },
    ],
    notes: [
      `Each pair is one SealBase and one OpenBase with a fresh ephemeral key; ${WARMUP_MS} ms warm-up, then ${RUN_MS} ms per implementation in ${SLICES} interleaved slices, sequential awaits.`,
      'hush takes raw 32-byte keys; @hpke/core gets CryptoKeys imported once beforehand.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
