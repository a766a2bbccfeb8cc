// Ed25519 verifications per second (hush backends vs `openssl speed ed25519`, the ceiling),
// and the time to verify a 1,000-link team chain against the time of its 1,000 bare
// signature verifications (the floor any implementation pays).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ROLE, TeamState, utf8, webCryptoBackend } from '../packages/core/dist/src/index.js';
import { nodeBackend } from '../packages/core/dist/src/node.js';
import { Team, World } from '../packages/core/dist/test/world.js';

async function verifyRate(b, ms = 1500) {
  const seed = b.randomBytes(32);
  const pk = await b.ed25519PublicKey(seed);
  const msg = utf8('hush/v1/bench/a-link-body-of-about-two-hundred-bytes'.repeat(4));
  const sig = await b.ed25519Sign(seed, msg);
  for (let i = 0; i < 200; i++) await b.ed25519Verify(pk, msg, sig);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (!(await b.ed25519Verify(pk, msg, sig))) throw new Error('verify failed');
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

function opensslVerifyRate() {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', '2', 'ed25519'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  48529.0  15766.3": sign/s then verify/s
    const line = out.split('\n').find((l) => /Ed25519\)\s+[\d.]+s/.test(l));
    const nums = line?.trim().split(/\s+/).slice(-2).map(Number);
    return nums?.[1] ?? NaN;
  } catch {
    return NaN;
  }
}

async function thousandLinkChain(b) {
  const w = new World(b);
  const owner = await w.person('owner');
  const members = [];
  for (let i = 0; i < 8; i++) members.push(await w.person(`m${i}`));
  const team = await Team.create(w, owner);
  for (const m of members) await team.add(owner, m);
  while (team.links.length < 1000) {
    if (team.links.length % 100 === 0) await team.rotate(owner);
    else {
      const m = members[team.links.length % members.length];
      const role = team.state.roleOf(m.id) === ROLE.writer ? ROLE.reader : ROLE.writer;
      await team.append(owner, { type: 'set-role', member: m.id, role });
    }
  }
  return { w, team };
}

export default async function run() {
  const node = await verifyRate(nodeBackend);
  const web = await verifyRate(webCryptoBackend());
  const openssl = opensslVerifyRate();
  const { w, team } = await thousandLinkChain(nodeBackend);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const st = await TeamState.verify(nodeBackend, team.links, w.resolve, team.state.id);
    times.push(performance.now() - start);
    if (st.seq !== team.links.length - 1) throw new Error('chain did not verify');
  }
  times.sort((a, b) => a - b);
  const median = times[2];
  const floor = (1000 / node) * team.links.length;
  return {
    title: 'Ed25519 and team chain verification',
    rows: [
      {
        metric: 'Ed25519 verify (node backend)',
        unit: 'verify/s',
        hush: node,
        peer: openssl,
        peerName: 'openssl speed ed25519 (ceiling)',
      },
      {
        metric: 'Ed25519 verify (WebCrypto backend in Node)',
        unit: 'verify/s',
        hush: web,
        peer: openssl,
        peerName: 'openssl speed ed25519 (ceiling)',
      },
      {
        metric: `verify a ${team.links.length}-link team chain (median of 5)`,
        unit: 'ms',
        hush: median,
        peer: floor,
        peerName: `${team.links.length} bare Ed25519 verifications (floor)`,
        note: 'chain of set-role links with a rotation every 100 links, 9 members',
      },
    ],
    notes: [
      'Chain verification parses every link, checks sequence, previous hash, time order, signer, signature and the rights table; the floor is the signatures alone.',
    ],
  };
}
