/**
 * The ways into an SDK instance, on any platform: create an identity (`initCtx`), open one
 * (`openCtx`), link this machine as a new device (`joinDeviceCtx`) or restore from recovery
 * words (`restoreCtx`). Each returns the shared `Ctx`; the entry points (`Hush` in hush.ts
 * for Node, browser/hush.ts for browsers) wrap it with the namespaces.
 */
import {
  deriveRecoveryDevice,
  fromUtf8,
  generateDevice,
  principalGenesis,
  toBase64url,
  utf8,
  type DeviceSecretKeys,
} from '@hush/core';
import { Api, checkServerUrl, type ApiOptions } from './api.js';
import { Chains } from './chains.js';
import { memberName, parseId, type Ctx } from './context.js';
import { acceptDeviceInvite } from './devices.js';
import { LocalStateError, UsageError } from './errors.js';
import { safetyHalfOf } from './fingerprint.js';
import { decodeIdentity, encodeIdentity, type Identity } from './identity.js';
import { flush } from './outbox.js';
import type { Platform } from './platform.js';
import { addDeviceByRecovery, adoptRecoveryKeys, decodeRecoveryWords } from './recovery.js';
import { emptyState, parseState, SecretBox, type StateData } from './state.js';
import { parseRecord, readRecord, readText, RECORD, recordText, writeRecord } from './storage.js';
import { Teams } from './teams.js';

/** What `init` takes besides the platform. */
export interface InitFields extends ApiOptions {
  /** The relay URL. */
  readonly server: string;
  /** Display name, sealed into teams this principal joins. */
  readonly name: string;
  /** Create an agent principal, optionally naming its sponsor's principal id. */
  readonly agent?: { readonly sponsor?: string };
  /** Wrap the device keys with this passphrase (scrypt: Node only). */
  readonly passphrase?: string;
  /** Operator token for a relay whose registration is invite-only. */
  readonly operatorToken?: string;
}

/** What `open` takes besides the platform. */
export interface OpenFields extends ApiOptions {
  /** Use another relay URL than the remembered one (the session starts afresh). */
  readonly server?: string;
  /** The passphrase of a wrapped identity. */
  readonly passphrase?: string;
  /**
   * Never write the home: the state is not saved, the outbox is not flushed, and the stored
   * refresh token is not spent (the saved access token is used while in date, else a
   * challenge sign-in starts a session of its own), so `hush secrets run` writes nothing to
   * disk. What it syncs is verified as always, then forgotten.
   */
  readonly readOnly?: boolean;
}

/** What `joinDevice` takes besides the platform (a device token from `devices.link`). */
export interface JoinDeviceFields extends ApiOptions {
  readonly server: string;
  readonly token: string;
  /** Display name on this device (default: found in a team this principal belongs to). */
  readonly name?: string;
  readonly passphrase?: string;
}

/** What `restore` takes besides the platform (recovery words from `recovery.create`). */
export interface RestoreFields extends ApiOptions {
  readonly server: string;
  readonly words: string;
  /** The principal id; when absent it is found through the recovery device's teams. */
  readonly principalId?: string;
  readonly name?: string;
  readonly passphrase?: string;
}

type Naming = ApiOptions & { name?: string; passphrase?: string };

const trimServer = (s: string) => s.replace(/\/+$/, '');

/** The caller's fetch, else the platform's. */
function withFetch(pf: Platform, opts: ApiOptions): ApiOptions {
  return opts.fetch || !pf.fetch ? opts : { ...opts, fetch: pf.fetch };
}

/** An access token this close to its expiry is not reused (clock steps, slow requests). */
const ACCESS_MARGIN_MS = 30_000;

/**
 * Builds the context of an opened identity: the relay session (tokens sealed into state),
 * the verified chains re-loaded from state, and `save()`, which writes state only when it
 * changed since it was read or last written.
 */
export async function connect(
  pf: Platform,
  id: Identity,
  data: StateData,
  opts: ApiOptions & { readonly readOnly?: boolean },
  storedText?: string,
): Promise<Ctx> {
  const b = pf.backend;
  const readOnly = opts.readOnly === true;
  const secrets = new SecretBox(b, id.stateKey);
  let saving: Promise<void> = Promise.resolve();
  let written = storedText;
  const ctx: Ctx = {
    b,
    id,
    data,
    paths: pf.paths,
    storage: pf.storage,
    platform: pf,
    chains: new Chains(b, data, secrets),
    warnings: [],
    safetyHalves: new Map(),
    api: new Api(
      data.server,
      b,
      id.device,
      async (refresh, access) => {
        data.refreshToken = await secrets.seal(utf8(refresh));
        if (access) {
          data.accessToken = await secrets.seal(utf8(access.accessToken));
          data.accessExpiresAt = access.expiresAt;
        } else {
          delete data.accessToken;
          delete data.accessExpiresAt;
        }
        await ctx.save();
      },
      withFetch(pf, opts),
    ),
    save: () =>
      readOnly
        ? Promise.resolve()
        : (saving = saving
            .catch(() => undefined)
            .then(async () => {
              const text = recordText(data);
              if (text === written) return;
              await pf.storage.write(RECORD.state, text);
              written = text;
            })),
    flushOutbox: async () => {
      if (readOnly) return;
      const r = await flush(pf.storage, ctx.api);
      for (const f of r.failed) ctx.warnings.push(`outbox: ${f.objectId} refused: ${f.error}`);
    },
  };
  if (data.refreshToken && !readOnly) {
    try {
      ctx.api.refreshToken = fromUtf8(await secrets.open(data.refreshToken));
    } catch {
      delete data.refreshToken;
    }
  }
  // A process that starts within the access token's lifetime skips the sign-in round trips;
  // a relay that no longer honours it answers 401 once and the session is refreshed.
  if (data.accessToken && (data.accessExpiresAt ?? 0) > Date.now() + ACCESS_MARGIN_MS) {
    try {
      ctx.api.accessToken = fromUtf8(await secrets.open(data.accessToken));
    } catch {
      delete data.accessToken;
    }
  }
  await ctx.chains.load();
  ctx.safetyHalves.set(toBase64url(id.principalId), await safetyHalfOf(b, id.principalId));
  return ctx;
}

/** Refuses a passphrase the platform cannot use before anything reaches the relay. */
function checkPassphrase(pf: Platform, passphrase: string | undefined): void {
  if (passphrase !== undefined && !pf.kdf)
    throw new UsageError(
      'a passphrase needs scrypt, which this platform lacks (use the Node entry of @hush/client)',
    );
}

async function saveIdentity(
  pf: Platform,
  id: Omit<Identity, 'stateKey'>,
  passphrase?: string,
): Promise<Identity> {
  const { file, identity } = await encodeIdentity(pf.backend, id, passphrase, pf.kdf);
  await writeRecord(pf.storage, RECORD.identity, file);
  return identity;
}

/** Checks the storage holds no identity yet and the server URL is acceptable. */
async function fresh(pf: Platform, server: string, opts: Naming): Promise<string> {
  checkServerUrl(server, opts.insecureTransport);
  checkPassphrase(pf, opts.passphrase);
  if ((await readRecord(pf.storage, RECORD.identity)) !== undefined)
    throw new LocalStateError(`${pf.storage.location} already holds a hush identity`);
  return trimServer(server);
}

/**
 * Creates this device's keys and principal, registers it with the relay, signs in and saves
 * the identity and state records.
 */
export async function initCtx(pf: Platform, opts: InitFields): Promise<Ctx> {
  const b = pf.backend;
  const server = await fresh(pf, opts.server, opts);
  if (!opts.name) throw new UsageError('a name is required');
  let sponsor: Uint8Array | undefined;
  if (opts.agent?.sponsor) {
    sponsor = parseId(opts.agent.sponsor);
    if (!sponsor) throw new UsageError('the sponsor must be a principal id');
  }
  const device = await generateDevice(b);
  const genesis = await principalGenesis(b, device, {
    ...(opts.agent ? { agent: true } : {}),
    ...(sponsor ? { sponsor } : {}),
  });
  const noSession = new Api(server, b, device, async () => undefined, withFetch(pf, opts));
  await noSession.request(
    'POST',
    '/v1/principals',
    { links: [toBase64url(genesis.bytes)] },
    {
      auth: false,
      ...(opts.operatorToken ? { headers: { 'x-hush-operator-token': opts.operatorToken } } : {}),
    },
  );
  const id = await saveIdentity(
    pf,
    { principalId: genesis.hash, device, kind: opts.agent ? 'agent' : 'human', name: opts.name },
    opts.passphrase,
  );
  const ctx = await connect(pf, id, emptyState(server), opts);
  await ctx.chains.addPrincipal([genesis.bytes]);
  await ctx.api.signIn();
  await ctx.save();
  return ctx;
}

/** Loads the identity and verified state (the stored chains are replayed against their pins). */
export async function openCtx(pf: Platform, opts: OpenFields): Promise<Ctx> {
  const s = pf.storage;
  const id = await decodeIdentity(
    pf.backend,
    await readRecord(s, RECORD.identity),
    s.describe(RECORD.identity),
    opts.passphrase,
    pf.kdf,
  );
  const text = await readText(s, RECORD.state);
  if (text === undefined && !opts.server)
    throw new LocalStateError(`${s.describe(RECORD.state)} is missing: give the server URL`);
  const data =
    text === undefined
      ? emptyState(trimServer(opts.server as string))
      : parseState(parseRecord(text, s.describe(RECORD.state)));
  if (opts.server && trimServer(opts.server) !== data.server) {
    data.server = trimServer(opts.server);
    delete data.refreshToken;
    delete data.accessToken;
    delete data.accessExpiresAt;
    delete data.eventCursor;
  }
  const ctx = await connect(pf, id, data, opts, text);
  if (!ctx.data.principals[toBase64url(id.principalId)])
    await ctx.chains.syncPrincipal(ctx.api, id.principalId);
  return ctx;
}

/** Saves the identity of a device already in `principalId`'s chain, then connects and signs in. */
async function enroll(
  pf: Platform,
  server: string,
  principalId: Uint8Array,
  device: DeviceSecretKeys,
  kind: 'human' | 'agent',
  opts: Naming,
): Promise<Ctx> {
  const id = await saveIdentity(
    pf,
    { principalId, device, kind, name: opts.name ?? '' },
    opts.passphrase,
  );
  const ctx = await connect(pf, id, emptyState(server), opts);
  await ctx.chains.syncPrincipal(ctx.api, principalId);
  await ctx.api.signIn();
  await ctx.save();
  return ctx;
}

/** Without a name given, takes the one a verified team gives this principal (clear identities only). */
async function adoptName(pf: Platform, ctx: Ctx, opts: Naming): Promise<Ctx> {
  if (opts.name !== undefined || opts.passphrase !== undefined) return ctx;
  for (const st of ctx.chains.teams.values()) {
    const name = await memberName(ctx, st, ctx.id.principalId);
    if (!name) continue;
    const id = await saveIdentity(pf, { ...ctx.id, name });
    return connect(pf, id, ctx.data, opts);
  }
  return ctx;
}

/**
 * The new machine's side of device linking: creates this device's keys, accepts the device
 * token (checked against the principal chain it names), signs in and saves the identity.
 */
export async function joinDeviceCtx(pf: Platform, opts: JoinDeviceFields): Promise<Ctx> {
  const b = pf.backend;
  const server = await fresh(pf, opts.server, opts);
  const device = await generateDevice(b);
  const noSession = new Api(server, b, device, async () => undefined, withFetch(pf, opts));
  const { principalId, kind } = await acceptDeviceInvite(b, noSession, opts.token, device);
  const ctx = await enroll(pf, server, principalId, device, kind, opts);
  await new Teams(ctx).list();
  return adoptName(pf, ctx, opts);
}

/**
 * Restores access from recovery words: the recovery device they derive adds this new device
 * to the principal chain, and its key boxes give this device every team key it held.
 */
export async function restoreCtx(pf: Platform, opts: RestoreFields): Promise<Ctx> {
  const b = pf.backend;
  const server = await fresh(pf, opts.server, opts);
  const secret = await decodeRecoveryWords(b, opts.words);
  let principal: Uint8Array | undefined;
  if (opts.principalId !== undefined) {
    principal = parseId(opts.principalId);
    if (!principal) throw new UsageError('the principal id is not a valid id');
  }
  const recovery = await deriveRecoveryDevice(b, secret);
  const device = await generateDevice(b);
  const recApi = new Api(server, b, recovery, async () => undefined, withFetch(pf, opts));
  const principalId = await addDeviceByRecovery(b, recApi, recovery, device, principal);
  const ctx = await enroll(pf, server, principalId, device, 'human', opts);
  await adoptRecoveryKeys(ctx, new Teams(ctx), recApi, recovery);
  return adoptName(pf, ctx, opts);
}
