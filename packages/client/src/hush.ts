/**
 * The Node entry point: `Hush.init` creates a device and principal and registers it;
 * `Hush.open` loads an identity and its verified state from a home directory. The
 * namespaces (`teams`, `messages`, `snippets`, `kv`, `devices`, `recovery`, `outbox`) and
 * `watch()` come from `HushBase` (base.ts); the browser entry has the same, over its own
 * platform (browser/hush.ts). `secrets` (which reads and writes .env files), `grants` (which
 * secrets an agent's MCP server may use) and `files` (streams from and to the file system)
 * are Node's alone.
 */
import { HushBase } from './base.js';
import type { Ctx } from './context.js';
import { Files } from './files.js';
import { Grants } from './grants.js';
import {
  initCtx,
  joinDeviceCtx,
  openCtx,
  restoreCtx,
  type InitFields,
  type JoinDeviceFields,
  type OpenFields,
  type RestoreFields,
} from './lifecycle.js';
import { nodePlatform, type NodePlatformOptions } from './node/platform.js';
import { Secrets } from './secrets.js';

export type { FlushResult, WhoAmI } from './base.js';

/** Options of `Hush.init`: the fields of `InitFields`, and where (`home` or `storage`). */
export interface InitOptions extends InitFields, NodePlatformOptions {}

/** Options of `Hush.open`. */
export interface OpenOptions extends OpenFields, NodePlatformOptions {}

/** Options of `Hush.joinDevice` (a device token from `devices.link`). */
export interface JoinDeviceOptions extends JoinDeviceFields, NodePlatformOptions {}

/** Options of `Hush.restore` (recovery words from `recovery.create`). */
export interface RestoreOptions extends RestoreFields, NodePlatformOptions {}

/** An identity on one device, connected to its relay. */
export class Hush extends HushBase {
  /** Secrets: named values per team and environment (.env push, pull, diff, run). */
  readonly secrets: Secrets;
  /** Encrypted files of any size, to teams and members. */
  readonly files: Files;
  /** Agent secret grants: which environments an agent's MCP server may run commands with. */
  readonly grants: Grants;

  private constructor(ctx: Ctx) {
    super(ctx);
    this.secrets = new Secrets(ctx, this.teams, this.messages);
    this.grants = new Grants(ctx, this.teams, this.messages);
    this.files = new Files(ctx, this.teams, this.messages);
  }

  /**
   * Creates this device's keys and principal, registers it with the relay, signs in and
   * saves identity.json and state.json.
   * @example
   * const hush = await Hush.init({ home: '/tmp/alice', server: 'http://127.0.0.1:7474', name: 'alice' });
   */
  static async init(opts: InitOptions): Promise<Hush> {
    return new Hush(await initCtx(nodePlatform(opts), opts));
  }

  /**
   * The new machine's side of device linking: creates this device's keys, accepts the device
   * token (checked against the principal chain it names), signs in and saves the identity.
   * Team keys arrive when the linking device's `waitForJoin` rotates the teams.
   * @example
   * const hush = await Hush.joinDevice({ home: '/tmp/laptop', server, token });
   */
  static async joinDevice(opts: JoinDeviceOptions): Promise<Hush> {
    return new Hush(await joinDeviceCtx(nodePlatform(opts), opts));
  }

  /**
   * Restores access on a new machine from recovery words: the recovery device they derive
   * adds this new device to the principal chain, and its key boxes give this device every
   * team key it held (so history reads at once). The principal's other devices stay
   * active: see `devices.revokeOthers()` for when they are lost.
   * @example
   * const hush = await Hush.restore({ home: '/tmp/new', server, words });
   */
  static async restore(opts: RestoreOptions): Promise<Hush> {
    return new Hush(await restoreCtx(nodePlatform(opts), opts));
  }

  /**
   * Loads the identity and verified state of a home.
   * @example
   * const hush = await Hush.open({ home: '/tmp/alice' });
   * for (const m of await hush.messages.inbox({ unread: true })) console.log(m.from.name, m.text);
   */
  static async open(opts: OpenOptions = {}): Promise<Hush> {
    return new Hush(await openCtx(nodePlatform(opts), opts));
  }
}
