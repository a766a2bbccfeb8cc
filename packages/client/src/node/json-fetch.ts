/**
 * A small `fetch` over node:http and node:https for JSON requests: what the SDK's `Api`
 * sends (a method, headers, a string body, an abort signal) and reads (`ok`, `status`,
 * `json()`, `text()`), with keep-alive connections. Node's global fetch loads undici on its
 * first call, a cost a short command feels (docs/BENCHMARKS.md times one request of each from
 * a fresh process); this loads nothing beyond node:http. Answers are read whole: it does not
 * stream (no `body`), so SSE and blob downloads keep the global fetch.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';

type Request = typeof httpRequest;

interface Transport {
  readonly request: Request;
  readonly agent: HttpAgent;
}

async function transport(protocol: string, cache: Map<string, Transport>): Promise<Transport> {
  let t = cache.get(protocol);
  if (!t) {
    if (protocol === 'https:') {
      const https = await import('node:https'); // only when needed: TLS is costly to load
      t = { request: https.request as Request, agent: new https.Agent({ keepAlive: true }) };
    } else if (protocol === 'http:') {
      t = { request: httpRequest, agent: new HttpAgent({ keepAlive: true }) };
    } else throw new TypeError(`unsupported protocol ${protocol}`);
    cache.set(protocol, t);
  }
  return t;
}

function answer(res: IncomingMessage, body: Buffer): Response {
  const status = res.statusCode ?? 0;
  const text = () => body.toString('utf8');
  const headers = {
    get: (name: string) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers,
    body: null,
    text: async () => text(),
    json: async () => JSON.parse(text()) as unknown,
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
  } as unknown as Response;
}

/**
 * A fetch for the SDK's JSON requests (see the file comment for what it leaves out).
 * @example
 * const hush = await Hush.open({ home, readOnly: true, fetch: jsonFetch() });
 */
export function jsonFetch(): typeof fetch {
  const cache = new Map<string, Transport>();
  const f = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const { request, agent } = await transport(url.protocol, cache);
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const body = typeof init.body === 'string' ? init.body : undefined;
    if (init.body !== undefined && init.body !== null && body === undefined)
      throw new TypeError('jsonFetch sends string bodies only');
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve(answer(res, Buffer.concat(parts))));
        res.on('error', reject);
      });
      const abort = () => {
        req.destroy();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', abort));
      req.on('error', reject);
      req.end(body);
    });
  };
  return f as typeof fetch;
}
