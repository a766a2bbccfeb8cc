/**
 * HTTP for the Node platform over node:http and node:https. Node's global fetch is undici,
 * which a fresh process loads and initialises on its first request: in the cli bench
 * (docs/BENCHMARKS.md) a fresh process's open and inbox took 1.7 times as long over it. This covers what the SDK sends (no body, a string or bytes, a
 * timeout or abort signal) and answers with the part of `Response` the SDK and its callers
 * read (status, headers.get, json, text, arrayBuffer, a streaming body for SSE). Anything
 * else (a streamed request body) goes to the global fetch.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';

type Body = string | Uint8Array | undefined;

function headerRecord(h: HeadersInit | undefined): Record<string, string> {
  if (!h) return {};
  if (Array.isArray(h)) return Object.fromEntries(h);
  if (typeof (h as Headers).forEach === 'function') {
    const out: Record<string, string> = {};
    (h as Headers).forEach((v, k) => (out[k] = v));
    return out;
  }
  return { ...(h as Record<string, string>) };
}

/** The answer as the subset of Response the SDK uses. */
function answer(res: IncomingMessage): Response {
  const status = res.statusCode ?? 0;
  let used = false;
  const bytes = async (): Promise<Uint8Array> => {
    if (used) throw new TypeError('body already read');
    used = true;
    const parts: Buffer[] = [];
    for await (const c of res) parts.push(c as Buffer);
    return new Uint8Array(Buffer.concat(parts));
  };
  let body: ReadableStream<Uint8Array> | undefined;
  const headers = {
    get: (name: string) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    has: (name: string) => res.headers[name.toLowerCase()] !== undefined,
    forEach: (fn: (v: string, k: string) => void) => {
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) fn(Array.isArray(v) ? v.join(', ') : v, k);
    },
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers,
    get body() {
      used = true;
      return (body ??= Readable.toWeb(res) as ReadableStream<Uint8Array>);
    },
    get bodyUsed() {
      return used;
    },
    arrayBuffer: async () => {
      const b = await bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
    bytes,
    text: async () => new TextDecoder().decode(await bytes()),
    json: async () => JSON.parse(new TextDecoder().decode(await bytes())) as unknown,
  } as unknown as Response;
}

/**
 * A fetch for Node that needs no undici: http(s) requests with a string or byte body.
 * @example
 * const res = await nodeFetch('http://127.0.0.1:7474/healthz');
 */
export const nodeFetch: typeof fetch = async (input, init = {}) => {
  const body = init.body as unknown;
  // `Request` is not touched: the global itself is undici's and would load it.
  const byUrl = typeof input === 'string' || input instanceof URL;
  const url = byUrl ? new URL(String(input)) : undefined;
  const plain = body === undefined || body === null || typeof body === 'string';
  if (
    !url ||
    (!plain && !(body instanceof Uint8Array)) ||
    (url.protocol !== 'http:' && url.protocol !== 'https:')
  )
    return fetch(input, init);
  const data = (body ?? undefined) as Body;
  const headers = headerRecord(init.headers);
  if (data !== undefined)
    headers['content-length'] = String(
      typeof data === 'string' ? Buffer.byteLength(data) : data.length,
    );
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}) },
      (res) => resolve(answer(res)),
    );
    req.on('error', reject);
    req.end(data);
  });
};
