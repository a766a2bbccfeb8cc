/**
 * A minimal API client for server tests, built on core: a device, its principal chain,
 * challenge/response sign-in and JSON requests. (The real SDK is packages/client.)
 */
import {
  authChallengeMessage,
  fromBase64url,
  generateDevice,
  principalGenesis,
  principalLink,
  PrincipalState,
  toBase64url,
  type DeviceSecretKeys,
} from '@hush/core';
import { nodeBackend as b } from '@hush/core/node';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; message: string } };
}

export class TestClient {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  links: Uint8Array[] = [];
  state!: PrincipalState;

  constructor(
    readonly url: string,
    readonly device: DeviceSecretKeys,
  ) {}

  get id(): string {
    return toBase64url(this.state.id);
  }

  get deviceId(): string {
    return toBase64url(this.device.id);
  }

  /** Creates a device and principal, registers it and signs in. */
  static async create(
    url: string,
    opts: { agent?: boolean; register?: boolean; operatorToken?: string } = {},
  ): Promise<TestClient> {
    const c = new TestClient(url, await generateDevice(b));
    const g = await principalGenesis(b, c.device, opts.agent ? { agent: true } : {});
    c.links = [g.bytes];
    c.state = await PrincipalState.verify(b, c.links);
    if (opts.register !== false) {
      const headers: Record<string, string> = opts.operatorToken
        ? { 'x-hush-operator-token': opts.operatorToken }
        : {};
      const r = await c.request(
        'POST',
        '/v1/principals',
        { links: c.links.map(toBase64url) },
        { auth: false, headers },
      );
      if (r.status !== 201) throw new Error(`register failed: ${JSON.stringify(r.body)}`);
      await c.signIn();
    }
    return c;
  }

  /** Links a new device to this principal (appended and applied) and returns it signed in. */
  async linkDevice(): Promise<TestClient> {
    const d = await generateDevice(b);
    const add = await principalLink(
      b,
      this.state,
      this.device,
      { type: 'add-device', sigPk: d.sigPk, kemPk: d.kemPk },
      { second: d.sigSeed },
    );
    const r = await this.request('POST', `/v1/principals/${this.id}/links`, {
      links: [toBase64url(add.bytes)],
    });
    if (r.status !== 200) throw new Error(`add-device failed: ${JSON.stringify(r.body)}`);
    await this.state.apply(b, add.bytes);
    const other = new TestClient(this.url, d);
    other.state = this.state;
    const signed = await other.signIn();
    if (signed.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(signed.body)}`);
    return other;
  }

  async signIn(device = this.device): Promise<Reply> {
    const ch = await this.request<{ nonce: string }>(
      'POST',
      '/v1/auth/challenge',
      { deviceId: toBase64url(device.id) },
      { auth: false },
    );
    if (ch.status !== 200) return ch;
    const host = new URL(this.url).host;
    const sig = await b.ed25519Sign(
      device.sigSeed,
      authChallengeMessage(fromBase64url(ch.body.nonce), device.id, host),
    );
    const r = await this.request<{ accessToken: string; refreshToken: string }>(
      'POST',
      '/v1/auth/token',
      { deviceId: toBase64url(device.id), nonce: ch.body.nonce, signature: toBase64url(sig) },
      { auth: false },
    );
    if (r.status === 200) {
      this.accessToken = r.body.accessToken;
      this.refreshToken = r.body.refreshToken;
    }
    return r;
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts: {
      auth?: boolean;
      headers?: Record<string, string>;
      raw?: Uint8Array;
      contentType?: string;
    } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.auth !== false && this.accessToken)
      headers.authorization = `Bearer ${this.accessToken}`;
    let payload: BodyInit | undefined;
    if (opts.raw) {
      payload = opts.raw as unknown as BodyInit;
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(this.url + path, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed as Reply<T>['body'] };
  }
}
