/**
 * Fan-out over NATS (`NATS_URL`): notices go out on the subject `hush.events` and come back
 * from it; each message names its origin process, which ignores its own (it delivered them
 * locally already). The client reconnects forever; after a reconnect every local hub is
 * woken to re-read the event log, so notices lost while disconnected cost nothing.
 */
import { randomBytes } from 'node:crypto';
import { connect, Events, type NatsConnection } from 'nats';
import type { Bus, EventNotice } from '../context.js';
import { NoticeBatcher } from './batcher.js';
import { LocalBus } from './local-bus.js';
import { decodeNotices, encodeNotices, WAKE_ALL } from './wire.js';

/** The NATS subject carrying notices. */
export const NATS_SUBJECT = 'hush.events';
const MAX_MESSAGE = 64 * 1024;

export class NatsBus implements Bus {
  readonly #local = new LocalBus();
  readonly #origin = randomBytes(9).toString('base64url');
  readonly #batcher: NoticeBatcher;
  #closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly warn: (msg: string) => void,
  ) {
    this.#batcher = new NoticeBatcher(async (batch) => {
      for (const m of encodeNotices(this.#origin, batch, MAX_MESSAGE))
        nc.publish(NATS_SUBJECT, Buffer.from(m));
    }, warn);
    nc.subscribe(NATS_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        const decoded = decodeNotices(Buffer.from(msg.data).toString('utf8'));
        if (!decoded || decoded.origin === this.#origin) return;
        for (const n of decoded.notices) this.#local.deliver(n);
      },
    });
    void this.#watch();
  }

  /** Connects (failing start-up if NATS does not answer) and subscribes. */
  static async connect(url: string, warn: (msg: string) => void): Promise<NatsBus> {
    const servers = url.split(',').map((s) => s.trim());
    const nc = await connect({
      servers,
      name: 'hush-server',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    }).catch((e: unknown) => {
      // Name the servers without any credentials they may carry.
      const where = servers.map((s) => s.replace(/^[a-z]+:\/\/[^@/]*@/i, '')).join(', ');
      throw new Error(`cannot connect to NATS at ${where}: ${(e as Error)?.message}`);
    });
    const bus = new NatsBus(nc, warn);
    // The subscription is live on the server once a round trip has completed.
    await nc.flush();
    return bus;
  }

  async #watch(): Promise<void> {
    try {
      for await (const s of this.nc.status()) {
        if (s.type === Events.Disconnect && !this.#closed)
          this.warn('push fan-out: lost the NATS connection; reconnecting');
        if (s.type === Events.Reconnect) this.#local.deliver(WAKE_ALL);
      }
    } catch {
      // The status iterator ends with the connection.
    }
  }

  publish(notices: readonly EventNotice[]): void {
    if (this.#closed) return;
    this.#local.publish(notices);
    this.#batcher.add(notices);
  }

  subscribe(listener: (n: EventNotice) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#batcher.drain();
    await this.nc.flush().catch(() => undefined);
    await this.nc.close().catch(() => undefined);
    await this.#local.close();
  }
}
