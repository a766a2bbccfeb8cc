/**
 * Recovery (PROTOCOL.md section 3.3): a 32-byte recovery secret, shown once as words and
 * never stored, derives a recovery device that is added to the principal chain
 * (`add-recovery`, signed by this device and countersigned by the recovery device).
 * Re-entering the words on a new machine re-derives that device, which signs an
 * `add-device` link for the new device (countersigned by it).
 *
 * Text form of the secret (a user-interface matter the protocol leaves open):
 *
 * ```
 * check = SHA-256(str("hush/v1/recovery-words") || secret(32))[0]
 * words = RECOVERY_WORDS[secret[0]] ... RECOVERY_WORDS[secret[31]] RECOVERY_WORDS[check]
 * ```
 *
 * 33 words from the fixed 256-word list in recovery-words.ts (word i = byte value i); each
 * word is also recognised by its first four letters. The check word catches a mistyped or
 * swapped word with probability 255/256 before anything is sent.
 */
import {
  deriveRecoveryDevice,
  fromBase64url,
  parseLink,
  principalLink,
  PrincipalState,
  teamCodec,
  toBase64url,
  toHex,
  Writer,
  type CryptoBackend,
  type DeviceSecretKeys,
} from '@hush/core';
import type { Api } from './api.js';
import type { Ctx } from './context.js';
import { rotateAllTeams, type RotationReport } from './devices.js';
import { ConflictError, NotFoundError, UsageError, verificationFailure } from './errors.js';
import { RECOVERY_WORDS } from './recovery-words.js';
import type { Teams } from './teams.js';

const SECRET_LEN = 32;
const CHECK_LABEL = 'hush/v1/recovery-words';

async function checkByte(b: CryptoBackend, secret: Uint8Array): Promise<number> {
  const h = await b.sha256(new Writer().str(CHECK_LABEL).fixed(secret, SECRET_LEN).finish());
  return h[0] as number;
}

/** The words of a 32-byte recovery secret (33 words, the last one a check word). */
export async function encodeRecoveryWords(b: CryptoBackend, secret: Uint8Array): Promise<string> {
  if (secret.length !== SECRET_LEN) throw new UsageError('a recovery secret is 32 bytes');
  const idx = [...secret, await checkByte(b, secret)];
  return idx.map((i) => RECOVERY_WORDS[i] as string).join(' ');
}

const BY_PREFIX = new Map(RECOVERY_WORDS.map((w, i) => [w.slice(0, 4), i]));

/**
 * Parses recovery words back into the secret. Case, whitespace and `N.` numbering are ignored; a word
 * may be shortened to its first four letters. Fails with a UsageError naming the position
 * of an unknown word, or when the check word does not match.
 */
export async function decodeRecoveryWords(b: CryptoBackend, text: string): Promise<Uint8Array> {
  // The CLI numbers the words it shows ("12.maple"): the numbers are ignored.
  const words = text.replace(/\d+\./g, ' ').trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length !== SECRET_LEN + 1)
    throw new UsageError(`recovery words: expected ${SECRET_LEN + 1} words, got ${words.length}`);
  const bytes = words.map((w, i) => {
    const v = BY_PREFIX.get(w.slice(0, 4));
    if (v === undefined || !(RECOVERY_WORDS[v] as string).startsWith(w))
      throw new UsageError(`recovery words: word ${i + 1} is not in the word list`);
    return v;
  });
  const secret = new Uint8Array(bytes.slice(0, SECRET_LEN));
  if ((await checkByte(b, secret)) !== bytes[SECRET_LEN])
    throw new UsageError('recovery words: the check word does not match (a word is wrong)');
  return secret;
}

/** The recovery namespace of the SDK (`hush.recovery`). */
export class Recovery {
  constructor(
    private readonly ctx: Ctx,
    private readonly teams: Teams,
  ) {}

  /**
   * Makes a new recovery secret, appends `add-recovery` for the device it derives, and
   * returns the words: they are shown once and never stored. Then rotates every team (where
   * this role may) so the recovery device holds the current key and, by walk-back, history.
   * @example
   * const { words } = await hush.recovery.create(); // write them down, offline
   */
  async create(): Promise<
    { words: string; principalId: string; deviceId: string } & RotationReport
  > {
    const { b, api, chains, id } = this.ctx;
    if (id.kind === 'agent') throw new UsageError('an agent has exactly one device: no recovery');
    const secret = b.randomBytes(SECRET_LEN);
    const rec = await deriveRecoveryDevice(b, secret);
    await this.ctx.flushOutbox();
    for (let attempt = 0; ; attempt++) {
      const me = await chains.syncPrincipal(api, id.principalId);
      const link = await principalLink(
        b,
        me,
        id.device,
        { type: 'add-recovery', sigPk: rec.sigPk, kemPk: rec.kemPk },
        { second: rec.sigSeed },
      );
      try {
        await api.request('POST', `/v1/principals/${toBase64url(id.principalId)}/links`, {
          links: [toBase64url(link.bytes)],
        });
      } catch (e) {
        if (e instanceof ConflictError && e.code === 'HUSH_ERR_CHAIN_CONFLICT' && attempt < 2)
          continue;
        throw e;
      }
      // Older recovery devices are revoked: only the newest words restore.
      let st = await chains.syncPrincipal(api, id.principalId);
      for (const d of st.activeDevices())
        if (d.kind === 'recovery' && toHex(d.id) !== toHex(rec.id)) {
          const revoke = await principalLink(b, st, id.device, {
            type: 'revoke-device',
            deviceId: d.id,
          });
          await api.request('POST', `/v1/principals/${toBase64url(id.principalId)}/links`, {
            links: [toBase64url(revoke.bytes)],
          });
          st = await chains.syncPrincipal(api, id.principalId);
        }
      await this.ctx.save();
      const words = await encodeRecoveryWords(b, secret);
      return {
        words,
        principalId: toBase64url(id.principalId),
        deviceId: toBase64url(rec.id),
        ...(await rotateAllTeams(this.ctx, this.teams, { addedDevice: true })),
      };
    }
  }
}

/**
 * Finds the principal whose verified chain holds `recovery` as a device, among the authors
 * of the teams the relay lists to the (signed-in) recovery device. The relay can only point
 * at chains: a chain holding our recovery device was countersigned by its key, so it is ours.
 */
export async function findRecoveredPrincipal(
  b: CryptoBackend,
  api: Api,
  recovery: DeviceSecretKeys,
): Promise<PrincipalState> {
  const teams = await api.request<{ teams: { id: string }[] }>('GET', '/v1/teams');
  const tried = new Set<string>();
  for (const t of teams.teams ?? []) {
    const r = await api.request<{ links: string[] }>('GET', `/v1/teams/${t.id}/links`);
    for (const l of r.links ?? []) {
      let author: string;
      try {
        author = toBase64url((await parseLink(b, teamCodec, fromBase64url(l))).author);
      } catch {
        continue;
      }
      if (tried.has(author)) continue;
      tried.add(author);
      const st = await fetchPrincipal(b, api, fromBase64url(author)).catch(() => undefined);
      if (st?.devices.has(toHex(recovery.id))) return st;
    }
  }
  throw new NotFoundError(
    'no principal with this recovery device was found through its teams: give the principal id',
  );
}

/** Fetches and verifies a principal chain against its id (public route). */
export async function fetchPrincipal(
  b: CryptoBackend,
  api: Api,
  principalId: Uint8Array,
): Promise<PrincipalState> {
  const r = await api.request<{ links: string[] }>(
    'GET',
    `/v1/principals/${toBase64url(principalId)}/links`,
    undefined,
    { auth: false, query: { since: 0 } },
  );
  try {
    return await PrincipalState.verify(b, r.links.map(fromBase64url), principalId);
  } catch (e) {
    throw verificationFailure(e, 'the principal chain does not verify');
  }
}

/**
 * The restoring machine's side: re-derives the recovery device from the words, signs in as
 * it, finds and verifies the principal, and appends `add-device` for `device` (signed by the
 * recovery device, countersigned by `device`). Returns the principal id and the recovery
 * session, whose key boxes the new device then opens (see `adoptRecoveryKeys`).
 */
export async function addDeviceByRecovery(
  b: CryptoBackend,
  recApi: Api,
  recovery: DeviceSecretKeys,
  device: DeviceSecretKeys,
  principalId?: Uint8Array,
): Promise<Uint8Array> {
  await recApi.signIn();
  for (let attempt = 0; ; attempt++) {
    const st = principalId
      ? await fetchPrincipal(b, recApi, principalId)
      : await findRecoveredPrincipal(b, recApi, recovery);
    const d = st.devices.get(toHex(recovery.id));
    if (!d || d.kind !== 'recovery' || d.revokedAt !== undefined)
      throw new NotFoundError('these words are not an active recovery device of that principal');
    const link = await principalLink(
      b,
      st,
      recovery,
      { type: 'add-device', sigPk: device.sigPk, kemPk: device.kemPk },
      { second: device.sigSeed },
    );
    try {
      await recApi.request('POST', `/v1/principals/${toBase64url(st.id)}/links`, {
        links: [toBase64url(link.bytes)],
      });
      return st.id;
    } catch (e) {
      if (e instanceof ConflictError && e.code === 'HUSH_ERR_CHAIN_CONFLICT' && attempt < 2)
        continue;
      throw e;
    }
  }
}

/**
 * Opens the recovery device's key boxes of every team into the new device's state (each
 * checked against the verified chain's commitment), so the new device reads history at once.
 */
export async function adoptRecoveryKeys(
  ctx: Ctx,
  teams: Teams,
  recApi: Api,
  recovery: DeviceSecretKeys,
): Promise<void> {
  for (const t of await teams.list()) {
    const teamId = fromBase64url(t.id);
    const r = await recApi.request<{ keyBoxes: { generation: number; box: string }[] }>(
      'GET',
      `/v1/teams/${t.id}/keyboxes`,
    );
    try {
      await ctx.chains.syncKeys(recApi, teamId, recovery, r.keyBoxes);
    } catch (e) {
      ctx.warnings.push(`team ${t.name || t.id.slice(0, 10)}: ${(e as Error).message}`);
    }
  }
  await ctx.save();
}
