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

interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is valid. */
  expiresIn?: number;
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

/** The access token of a session and when it expires (ms since the epoch, this clock). */
export interface AccessToken {
  readonly accessToken: string;
  readonly expiresAt: number;
}

/**
 * Called with every new token pair: the refresh token, and the access token with its expiry
 * when the relay gave one (`expiresIn`), so a caller can keep both for the next process.
 */
export type OnTokens = (refreshToken: string, access?: AccessToken) => Promise<void>;

/** A signed-in connection to one relay. */
export class Api {
  readonly url: URL;
  accessToken: string | undefined;
  refreshToken: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeout: number;
  #signingIn: Promise<void> | undefined;
  readonly #prefetched = new Map<string, Promise<unknown>>();

  constructor(
    server: string,
    private readonly b: CryptoBackend,
    private readonly device: DeviceSecretKeys,
    private readonly onTokens: OnTokens,
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

  /**
   * Starts GETs now whose answers the next `request` for the same path and query takes,
   * once: a caller that knows which reads a sync will make overlaps their round trips,
   * while the sync still applies and verifies each answer in its own order.
   */
  prefetch(gets: readonly { path: string; query?: RequestOptions['query']; auth?: boolean }[]) {
    for (const g of gets) {
      const key = this.#target(g.path, g.query);
      if (this.#prefetched.has(key)) continue;
      const p = this.#request<unknown>('GET', g.path, undefined, {
        ...(g.query ? { query: g.query } : {}),
        ...(g.auth === false ? { auth: false } : {}),
      });
      p.catch(() => undefined); // the taker sees the failure; an answer nobody takes is dropped
      this.#prefetched.set(key, p);
    }
  }

  /** Drops prefetched answers nobody took (they describe the relay as it was). */
  clearPrefetch(): void {
    this.#prefetched.clear();
  }

  /** A JSON request with the session: signs in when needed and retries once after a 401. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: RequestOptions = {},
  ): Promise<T> {
    if (method === 'GET' && this.#prefetched.size > 0) {
      const key = this.#target(path, opts.query);
      const pre = this.#prefetched.get(key);
      if (pre) {
        this.#prefetched.delete(key);
        return pre as Promise<T>;
      }
    }
    return this.#request(method, path, body, opts);
  }

  async #request<T>(method: string, path: string, body: unknown, opts: RequestOptions): Promise<T> {
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
    const used = this.accessToken;
    try {
      return await go();
    } catch (e) {
      if (!(e instanceof AuthError) || e.code !== 'HUSH_ERR_UNAUTHENTICATED') throw e;
      // Concurrent requests refused the same token: one new session serves them all.
      if (this.accessToken === used) this.accessToken = undefined;
      if (!this.accessToken || this.#signingIn) await this.ensureSession();
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
    const r = await this.request<TokenAnswer>(
      'POST',
      '/v1/auth/refresh',
      { refreshToken: this.refreshToken },
      { auth: false },
    );
    await this.#setTokens(r);
  }

  async #setTokens(r: TokenAnswer): Promise<void> {
    if (typeof r.accessToken !== 'string' || typeof r.refreshToken !== 'string')
      throw new VerificationError('malformed', 'the relay sent a malformed token answer');
    this.accessToken = r.accessToken;
    this.refreshToken = r.refreshToken;
    // The expiry is counted from now, on this clock: the relay's clock never matters.
    const s = r.expiresIn;
    const valid = typeof s === 'number' && Number.isFinite(s) && s > 0;
    await this.onTokens(
      r.refreshToken,
      valid ? { accessToken: r.accessToken, expiresAt: Date.now() + s * 1000 } : undefined,
    );
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
    const r = await this.request<TokenAnswer>(
      'POST',
      '/v1/auth/token',
      { deviceId, nonce: ch.nonce, signature: toBase64url(signature) },
      { auth: false },
    );
    await this.#setTokens(r);
  }
}
