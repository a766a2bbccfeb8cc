/**
 * The relay API over fetch: JSON requests, coded errors mapped to typed SDK errors, and a
 * session (challenge sign-in bound to the relay's host, refresh on a 401 once, refresh
 * token persisted by the caller). Answers are inputs to verify, never facts.
 */
import {
  authChallengeMessage,
  fromBase64url,
  toBase64url,
  type CryptoBackend,
  type DeviceSecretKeys,
} from '@hush/core';
import {
  AuthError,
  ConflictError,
  NetworkError,
  NotFoundError,
  UsageError,
  VerificationError,
  type ClientError,
} from './errors.js';

/** Options of the API client. */
export interface ApiOptions {
  /** Allow plain http:// to a non-loopback host (testing only). */
  readonly insecureTransport?: boolean;
  /** A fetch implementation (defaults to the global one). */
  readonly fetch?: typeof fetch;
  /** Request timeout in ms (default 30 s). */
  readonly timeoutMs?: number;
}

/** An access token and when it expires (ms since the epoch, as the relay's lifetime says). */
export interface AccessToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Per-request options. */
export interface RequestOptions {
  /** Send the access token (default true). */
  readonly auth?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string | number | boolean | undefined>;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith('.localhost')
  );
}

/** Parses and checks a relay URL; plain http to a remote host is refused unless allowed. */
export function checkServerUrl(server: string, insecureTransport = false): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`not a valid server URL: ${server}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`server URL must be https:// (or http:// to this machine): ${server}`);
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !insecureTransport)
    throw new UsageError(
      `refusing plain http:// to ${url.host}: use https, or insecureTransport (--insecure-transport) for testing`,
    );
  return url;
}

/** Maps a relay error answer to a typed SDK error. */
export function mapError(status: number, body: unknown): ClientError {
  const err = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof err?.code === 'string' ? err.code : `HTTP_${status}`;
  const message = typeof err?.message === 'string' ? err.message : `relay answered ${status}`;
  const details = Object.fromEntries(
    Object.entries((err ?? {}) as Record<string, unknown>).filter(
      ([k]) => k !== 'code' && k !== 'message',
    ),
  );
  const o = { code, details };
  const text = `${message} (${code})`;
  if (
    status === 401 ||
    code === 'HUSH_ERR_DEVICE_REVOKED' ||
    code === 'HUSH_ERR_REGISTRATION_CLOSED'
  )
    return new AuthError(text, o);
  if (status === 403) return new AuthError(text, o);
  if (status === 404) return new NotFoundError(text, o);
  if (status === 409) return new ConflictError(text, o);
  if (status === 422) {
    const reason = typeof details.reason === 'string' ? details.reason : 'relay-refused';
    return new VerificationError(reason, `the relay refused it as invalid: ${text}`);
  }
  if (status === 429 || status >= 500) return new NetworkError(text, o);
  return new UsageError(text, o);
}

/** A signed-in connection to one relay. */
export class Api {
  readonly url: URL;
  accessToken: string | undefined;
  refreshToken: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeout: number;
  #signingIn: Promise<void> | undefined;

  constructor(
    server: string,
    private readonly b: CryptoBackend,
    private readonly device: DeviceSecretKeys,
    private readonly onTokens: (refreshToken: string, access: AccessToken) => Promise<void>,
    opts: ApiOptions = {},
  ) {
    this.url = checkServerUrl(server, opts.insecureTransport);
    this.#fetch = opts.fetch ?? ((...a) => fetch(...a));
    this.#timeout = opts.timeoutMs ?? 30_000;
  }

  /** The relay's host as both sides put it in signed messages. */
  get host(): string {
    return this.url.host.toLowerCase();
  }

  #target(path: string, query?: RequestOptions['query']): string {
    const u = new URL(path, this.url);
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Sends one request without session handling; throws typed errors for failures. */
  async raw(
    method: string,
    path: string,
    body: unknown,
    opts: RequestOptions & { signal?: AbortSignal; stream?: boolean; bytes?: Uint8Array } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.auth !== false && this.accessToken)
      headers.authorization = `Bearer ${this.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.bytes !== undefined) headers['content-type'] = 'application/octet-stream';
    const payload = opts.bytes ?? (body !== undefined ? JSON.stringify(body) : undefined);
    const signal = opts.signal ?? (opts.stream ? undefined : AbortSignal.timeout(this.#timeout));
    let res: Response;
    try {
      res = await this.#fetch(this.#target(path, opts.query), {
        method,
        headers,
        ...(payload !== undefined ? { body: payload as BodyInit } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new NetworkError(`relay ${this.url.host} is unreachable`, { cause: e });
    }
    if (!res.ok) {
      let parsed: unknown;
      try {
        parsed = await res.json();
      } catch {
        parsed = undefined;
      }
      throw mapError(res.status, parsed);
    }
    return res;
  }

  /** A JSON request with the session: signs in when needed and retries once after a 401. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: RequestOptions = {},
  ): Promise<T> {
    const go = async (): Promise<T> => {
      const res = await this.raw(method, path, body, opts);
      try {
        return (await res.json()) as T;
      } catch (e) {
        throw new VerificationError('malformed', 'the relay sent a malformed answer', { cause: e });
      }
    };
    if (opts.auth === false) return go();
    if (!this.accessToken) await this.ensureSession();
    try {
      return await go();
    } catch (e) {
      if (!(e instanceof AuthError) || e.code !== 'HUSH_ERR_UNAUTHENTICATED') throw e;
      this.accessToken = undefined;
      await this.ensureSession();
      return go();
    }
  }

  /** Opens a streaming GET (SSE) with the session; the caller reads the body. */
  async stream(
    path: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    return this.binary('GET', path, { headers, stream: true, ...(signal ? { signal } : {}) });
  }

  /**
   * A request with the session whose body is raw bytes (`application/octet-stream`, blob
   * chunks) or none, and whose answer the caller reads itself (a blob download with
   * `stream: true` has no overall timeout). Signs in when needed and retries once after a 401.
   */
  async binary(
    method: string,
    path: string,
    opts: {
      bytes?: Uint8Array;
      headers?: Record<string, string>;
      stream?: boolean;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    if (!this.accessToken) await this.ensureSession();
    try {
      return await this.raw(method, path, undefined, opts);
    } catch (e) {
      if (!(e instanceof AuthError) || e.code !== 'HUSH_ERR_UNAUTHENTICATED') throw e;
      this.accessToken = undefined;
      await this.ensureSession();
      return this.raw(method, path, undefined, opts);
    }
  }

  /** Gets an access token: by refresh token when there is one, else by challenge sign-in. */
  async ensureSession(): Promise<void> {
    this.#signingIn ??= (async () => {
      try {
        if (this.refreshToken) {
          try {
            await this.#refresh();
            return;
          } catch (e) {
            if (!(e instanceof AuthError)) throw e;
            this.refreshToken = undefined;
          }
        }
        await this.signIn();
      } finally {
        this.#signingIn = undefined;
      }
    })();
    return this.#signingIn;
  }

  async #refresh(): Promise<void> {
    const r = await this.request<{ accessToken: string; refreshToken: string }>(
      'POST',
      '/v1/auth/refresh',
      { refreshToken: this.refreshToken },
      { auth: false },
    );
    await this.#setTokens(r);
  }

  async #setTokens(r: {
    accessToken: string;
    refreshToken: string;
    expiresIn?: unknown;
  }): Promise<void> {
    if (typeof r.accessToken !== 'string' || typeof r.refreshToken !== 'string')
      throw new VerificationError('malformed', 'the relay sent a malformed token answer');
    this.accessToken = r.accessToken;
    this.refreshToken = r.refreshToken;
    const ttl = typeof r.expiresIn === 'number' && r.expiresIn > 0 ? r.expiresIn * 1000 : 0;
    await this.onTokens(r.refreshToken, { token: r.accessToken, expiresAt: Date.now() + ttl });
  }

  /** Challenge sign-in: signs `authChallengeMessage(nonce, deviceId, host)`. */
  async signIn(): Promise<void> {
    const deviceId = toBase64url(this.device.id);
    const ch = await this.request<{ nonce: string }>(
      'POST',
      '/v1/auth/challenge',
      { deviceId },
      { auth: false },
    );
    let nonce: Uint8Array;
    try {
      nonce = fromBase64url(ch.nonce);
    } catch {
      throw new VerificationError('malformed', 'the relay sent a malformed challenge');
    }
    if (nonce.length !== 32)
      throw new VerificationError('malformed', 'the relay sent a malformed challenge');
    const signature = await this.b.ed25519Sign(
      this.device.sigSeed,
      authChallengeMessage(nonce, this.device.id, this.host),
    );
    const r = await this.request<{ accessToken: string; refreshToken: string }>(
      'POST',
      '/v1/auth/token',
      { deviceId, nonce: ch.nonce, signature: toBase64url(signature) },
      { auth: false },
    );
    await this.#setTokens(r);
  }
}
