/**
 * A tampering HTTP proxy for tests: a real HTTP server in front of a real relay that forwards
 * every request (Host header included, so sign-in still binds the host the client sees) and
 * lets a test, per request, rewrite the request body, rewrite a JSON answer, rewrite any
 * answer as raw bytes (blob downloads), cut an answer short, or refuse to forward at all.
 *
 * Answers nobody tampers with, and every Server-Sent Events stream, are streamed through
 * unbuffered, so `hush watch` and multi-GiB blob downloads work through the proxy in
 * constant memory.
 */
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Rewrites a JSON answer; return undefined to pass it through. */
export type Tamper = (method: string, path: string, body: unknown) => unknown;

/** What a byte-level tamper sees of an answer. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Rewrites any answer (JSON or not) as bytes: return a Buffer for the new body, or an object
 * to also change the status or headers; undefined passes it through. `query` is the raw
 * query string (without `?`), `reqHeaders` the request's headers (e.g. `range`).
 */
export type BytesTamper = (
  method: string,
  path: string,
  answer: RawAnswer,
  ctx: { readonly query: string; readonly reqHeaders: IncomingHttpHeaders },
) => Buffer | { status?: number; headers?: Record<string, string>; body: Buffer } | undefined;

/** Rewrites a request body before it is forwarded; undefined forwards it unchanged. */
export type RequestTamper = (method: string, path: string, body: Buffer) => Buffer | undefined;

/**
 * Passes through at most this many bytes of an answer's body, then holds the connection open
 * without a byte more (a transfer that stalls mid-way); undefined passes it all through.
 */
export type Stall = (method: string, path: string) => number | undefined;

/**
 * Decides, per request, to answer without forwarding (a dead or refusing relay, or one that
 * makes up an answer); `query` is the raw query string (without `?`).
 */
export type Block = (
  method: string,
  path: string,
  query: string,
) => { status: number; body?: unknown } | 'drop' | undefined;

/** A running proxy. */
export interface Proxy {
  readonly url: string;
  /** JSON answers. */
  tamper: Tamper | undefined;
  /** Any answer, as bytes (applied after `tamper`). */
  tamperBytes: BytesTamper | undefined;
  /** Request bodies. */
  tamperRequest: RequestTamper | undefined;
  /** Answers without forwarding: a status and JSON body, or 'drop' to destroy the socket. */
  block: Block | undefined;
  /** Untouched answers: cut the body after N bytes and hold the connection open. */
  stall: Stall | undefined;
  /** Every request seen, in order (method, path, and the raw query string apart). */
  readonly seen: { method: string; path: string; query: string }[];
  close(): Promise<void>;
}

function readAll(s: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

/** Starts a proxy in front of `target` (http://host:port). */
export async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const proxy: Proxy = {
    url: '',
    tamper: undefined,
    tamperBytes: undefined,
    tamperRequest: undefined,
    block: undefined,
    stall: undefined,
    seen: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const [path = '', query = ''] = (req.url ?? '').split('?');
      proxy.seen.push({ method, path, query });
      const blocked = proxy.block?.(method, path, query);
      if (blocked === 'drop') {
        req.socket.destroy();
        return;
      }
      if (blocked) {
        const out = Buffer.from(JSON.stringify(blocked.body ?? {}));
        res.writeHead(blocked.status, {
          'content-type': 'application/json',
          'content-length': String(out.length),
        });
        res.end(out);
        return;
      }
      const headers = { ...req.headers };
      let body: Buffer | undefined;
      if (proxy.tamperRequest) {
        body = await readAll(req);
        const changed = proxy.tamperRequest(method, path, body);
        if (changed !== undefined) {
          body = changed;
          delete headers['transfer-encoding'];
          headers['content-length'] = String(body.length);
        }
      }
      const up = request(
        { host: t.hostname, port: t.port, method, path: req.url, headers },
        (ur) => {
          const type = String(ur.headers['content-type'] ?? '');
          const isJson = type.includes('json');
          const touched =
            !type.includes('text/event-stream') &&
            ((proxy.tamper !== undefined && isJson) || proxy.tamperBytes !== undefined);
          if (!touched) {
            // The client may have gone before the relay answered at all.
            if (res.destroyed) {
              ur.destroy();
              return;
            }
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            // A client that goes away mid-answer must not leave the relay writing to a proxy
            // that no longer reads: pipe() alone would leave the upstream answer paused.
            res.on('close', () => ur.destroy());
            const limit = proxy.stall?.(method, path);
            if (limit === undefined) {
              ur.pipe(res);
              return;
            }
            let passed = 0;
            ur.on('data', (d: Buffer) => {
              const take = Math.min(d.length, limit - passed);
              if (take > 0) res.write(d.subarray(0, take));
              passed += take;
              if (passed >= limit) ur.pause();
            });
            return;
          }
          void (async () => {
            let out = await readAll(ur);
            let status = ur.statusCode ?? 502;
            const headers: Record<string, string | string[] | undefined> = { ...ur.headers };
            if (proxy.tamper && isJson && out.length > 0) {
              const changed = proxy.tamper(method, path, JSON.parse(out.toString()));
              if (changed !== undefined) out = Buffer.from(JSON.stringify(changed));
            }
            if (proxy.tamperBytes) {
              const changed = proxy.tamperBytes(
                method,
                path,
                { status, headers: ur.headers, body: out },
                { query, reqHeaders: req.headers },
              );
              if (Buffer.isBuffer(changed)) out = changed;
              else if (changed !== undefined) {
                out = changed.body;
                status = changed.status ?? status;
                Object.assign(headers, changed.headers ?? {});
              }
            }
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(status, { ...headers, 'content-length': String(out.length) });
            res.end(out);
          })();
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      if (body !== undefined) up.end(body);
      else {
        // A client that goes away mid-body (killed) must not leave the relay waiting for the
        // rest of it: pipe() alone would never end the upstream request.
        req.on('close', () => {
          if (!req.complete) up.destroy();
        });
        req.pipe(up);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
