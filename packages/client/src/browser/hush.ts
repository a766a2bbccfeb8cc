/**
 * The browser entry's `Hush`: the same SDK as on Node (every namespace of `HushBase`) over
 * WebCrypto and a key-value storage. What needs node: modules is not here: records as files,
 * scrypt (so no passphrase-protected identities), snippets read from files or git (share
 * `content` instead), and a synchronous `fingerprint(id)` for principals not met through
 * `fingerprintOf`.
 */
import { webCryptoBackend, type CryptoBackend } from '@hush/core';
import { HushBase } from '../base.js';
import type { Ctx } from '../context.js';
import {
  initCtx,
  joinDeviceCtx,
  openCtx,
  restoreCtx,
  type InitFields,
  type JoinDeviceFields,
  type OpenFields,
  type RestoreFields,
} from '../lifecycle.js';
import { recordPaths, type Platform } from '../platform.js';
import { kvStorage, memoryStore, type HushStorage, type KeyValueStore } from '../storage.js';

/** Where and with what a browser SDK instance runs. */
export interface BrowserPlatformOptions {
  /**
   * Where the identity's records live: a storage, or a key-value store such as
   * `indexedDbStore()` (default: a memory store, gone with the page).
   */
  readonly storage?: HushStorage | KeyValueStore;
  /** The crypto backend (default: WebCrypto, `globalThis.crypto`). */
  readonly backend?: CryptoBackend;
}

/** Options of `Hush.init` in a browser. */
export interface BrowserInitOptions extends InitFields, BrowserPlatformOptions {}
/** Options of `Hush.open` in a browser. */
export interface BrowserOpenOptions extends OpenFields, BrowserPlatformOptions {}
/** Options of `Hush.joinDevice` in a browser. */
export interface BrowserJoinDeviceOptions extends JoinDeviceFields, BrowserPlatformOptions {}
/** Options of `Hush.restore` in a browser. */
export interface BrowserRestoreOptions extends RestoreFields, BrowserPlatformOptions {}

function isStorage(s: HushStorage | KeyValueStore): s is HushStorage {
  return typeof (s as HushStorage).describe === 'function';
}

/** The platform for browsers (and any runtime with WebCrypto and fetch). */
export function browserPlatform(o: BrowserPlatformOptions = {}): Platform {
  const given = o.storage ?? memoryStore();
  const storage = isStorage(given) ? given : kvStorage(given);
  return { backend: o.backend ?? webCryptoBackend(), storage, paths: recordPaths(storage) };
}

/** An identity on one device, connected to its relay (browser entry). */
export class Hush extends HushBase {
  private constructor(ctx: Ctx) {
    super(ctx);
  }

  /**
   * Creates this device's keys and principal, registers it and signs in.
   * @example
   * const hush = await Hush.init({ server, name: 'alice', storage: indexedDbStore() });
   */
  static async init(opts: BrowserInitOptions): Promise<Hush> {
    return new Hush(await initCtx(browserPlatform(opts), opts));
  }

  /**
   * Loads the identity and verified state kept in `opts.storage`.
   * @example
   * const hush = await Hush.open({ storage: indexedDbStore() });
   */
  static async open(opts: BrowserOpenOptions): Promise<Hush> {
    return new Hush(await openCtx(browserPlatform(opts), opts));
  }

  /**
   * Links this browser as a new device of a principal (a token from `devices.link`).
   * @example
   * const hush = await Hush.joinDevice({ server, token, storage: indexedDbStore() });
   */
  static async joinDevice(opts: BrowserJoinDeviceOptions): Promise<Hush> {
    return new Hush(await joinDeviceCtx(browserPlatform(opts), opts));
  }

  /**
   * Restores access from recovery words, as a new device.
   * @example
   * const hush = await Hush.restore({ server, words, storage: indexedDbStore() });
   */
  static async restore(opts: BrowserRestoreOptions): Promise<Hush> {
    return new Hush(await restoreCtx(browserPlatform(opts), opts));
  }
}
