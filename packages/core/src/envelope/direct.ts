/**
 * Direct envelopes to principals: a random key K wrapped with HPKE to every recipient
 * device and the sender's own devices; the wraps and a commitment to the content key are
 * inside the signed header, so a server can neither add a recipient nor swap a wrap.
 *
 * contentKey = HKDF(K, salt = empty, info = str("hush/v1/direct") || u8 collection ||
 *              objectId(16) || u64 objectVersion || keySalt(16))
 * wrap_i     = HPKE.Seal(device_i.kemPk, info = str("hush/v1/direct-wrap") || objectId ||
 *              u64 objectVersion || deviceId_i, aad = empty, K)
 */
import type { CryptoBackend } from '../backend/types.js';
import { compareBytes, equalBytes, expectBytes } from '../bytes.js';
import { hpkeOpen, hpkeSeal } from '../hpke/index.js';
import type { ContentKey, DeviceSecretKeys, DirectKey } from '../keys.js';
import { LABEL, labelled } from '../labels.js';
import {
  checkAuthor,
  contentCommitment,
  deriveContentKey,
  openContent,
  sealContent,
} from './content.js';
import { EnvelopeError } from './errors.js';
import {
  decodeHeader,
  PROTOCOL_VERSION,
  SUITE_V1,
  splitEnvelope,
  type Collection,
  type DirectWrap,
  type EnvelopeHeader,
} from './header.js';
import { checkExpected, type TeamOpenContext } from './team.js';

function directContentKey(
  b: CryptoBackend,
  k: DirectKey,
  h: Pick<EnvelopeHeader, 'collection' | 'objectId' | 'objectVersion' | 'keySalt'>,
): Promise<ContentKey> {
  return deriveContentKey(b, k, new Uint8Array(0), LABEL.direct, h);
}

function wrapInfo(objectId: Uint8Array, objectVersion: number, deviceId: Uint8Array): Uint8Array {
  return labelled(LABEL.directWrap)
    .fixed(objectId, 16)
    .u64(objectVersion)
    .fixed(deviceId, 32)
    .finish();
}

/** A device a direct envelope is wrapped to. */
export interface RecipientDevice {
  readonly id: Uint8Array;
  readonly kemPk: Uint8Array;
}

/** What a sender supplies to seal a direct envelope. */
export interface DirectSealInput {
  /** Recipient principal ids (the sender is added when absent). */
  readonly recipients: readonly Uint8Array[];
  /** Every current device of every recipient and of the sender, from verified principal chains. */
  readonly devices: readonly RecipientDevice[];
  readonly author: Uint8Array;
  readonly device: DeviceSecretKeys;
  readonly collection: Collection;
  readonly body: Uint8Array;
  readonly objectId?: Uint8Array;
  readonly objectVersion?: number;
  readonly flags?: number;
  readonly createdAt?: number;
}

function sortedUnique(ids: readonly Uint8Array[]): Uint8Array[] {
  const out = [...ids].sort(compareBytes);
  return out.filter((x, i) => i === 0 || compareBytes(out[i - 1] as Uint8Array, x) !== 0);
}

/**
 * Seals a direct envelope.
 * @example
 * const { envelope } = await sealDirectEnvelope(backend, {
 *   recipients: [bob.id], devices: [...bobDevices, ...myDevices], author: me.id,
 *   device: me.device, collection: COLLECTION.message, body: utf8('hi'),
 * });
 */
export async function sealDirectEnvelope(
  b: CryptoBackend,
  input: DirectSealInput,
): Promise<{ envelope: Uint8Array; header: EnvelopeHeader }> {
  const objectId = input.objectId ? expectBytes('objectId', input.objectId, 16) : b.randomBytes(16);
  const objectVersion = input.objectVersion ?? 1;
  const k = b.randomBytes(32) as DirectKey;
  const devices = [...input.devices].sort((x, y) => compareBytes(x.id, y.id));
  const wraps: DirectWrap[] = [];
  for (const d of devices) {
    if (wraps.length > 0 && equalBytes((wraps[wraps.length - 1] as DirectWrap).deviceId, d.id))
      continue;
    const { enc, ct } = await hpkeSeal(
      b,
      d.kemPk,
      wrapInfo(objectId, objectVersion, d.id),
      new Uint8Array(0),
      k,
    );
    wraps.push({ deviceId: d.id, enc, ct });
  }
  const base = {
    version: PROTOCOL_VERSION,
    suite: SUITE_V1,
    objectId,
    objectVersion,
    collection: input.collection,
    flags: input.flags ?? 0,
    author: input.author,
    authorDevice: input.device.id,
    createdAt: input.createdAt ?? Date.now(),
    blindIndex: undefined,
    direct: { recipients: sortedUnique([...input.recipients, input.author]), wraps },
    keySalt: b.randomBytes(16),
  };
  const key = await directContentKey(b, k, base);
  const header: EnvelopeHeader = { ...base, keyCommit: await contentCommitment(b, key) };
  return { envelope: await sealContent(b, header, key, input.body, input.device.sigSeed), header };
}

/** What a reader of a direct envelope supplies. */
export interface DirectOpenContext {
  /** This device: its id selects the wrap, its X25519 key opens it. */
  readonly me: {
    readonly id: Uint8Array;
    readonly kemSk: Uint8Array;
    readonly principal: Uint8Array;
  };
  readonly expect?: TeamOpenContext['expect'];
  /** Returns the author device's Ed25519 key if it is a device of header.author per the verified principal chain. */
  authorize(header: EnvelopeHeader): Promise<Uint8Array> | Uint8Array;
}

/** Opens a direct envelope addressed to this device's principal. */
export async function openDirectEnvelope(
  b: CryptoBackend,
  envelope: Uint8Array,
  ctx: DirectOpenContext,
): Promise<{ header: EnvelopeHeader; body: Uint8Array }> {
  const parts = splitEnvelope(envelope);
  const header = decodeHeader(parts.header);
  if (!header.direct || !header.direct.recipients.some((r) => equalBytes(r, ctx.me.principal))) {
    throw new EnvelopeError(
      'context',
      'envelope is not a direct envelope addressed to this principal',
    );
  }
  checkExpected(header, ctx.expect);
  await checkAuthor(
    b,
    parts,
    header,
    ctx.authorize,
    'envelope author device is not a device of its author',
  );
  const wrap = header.direct.wraps.find((w) => equalBytes(w.deviceId, ctx.me.id));
  if (!wrap) throw new EnvelopeError('no-key', 'envelope has no key wrapped to this device');
  let k: DirectKey;
  try {
    k = (await hpkeOpen(
      b,
      ctx.me.kemSk,
      wrap.enc,
      wrapInfo(header.objectId, header.objectVersion, wrap.deviceId),
      new Uint8Array(0),
      wrap.ct,
    )) as DirectKey;
  } catch (e) {
    throw new EnvelopeError('no-key', 'the key wrapped to this device did not open', { cause: e });
  }
  const key = await directContentKey(b, k, header);
  return { header, body: await openContent(b, header, parts.header, parts.ciphertext, key) };
}
