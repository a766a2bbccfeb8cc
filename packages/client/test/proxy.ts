/**
 * A tampering HTTP proxy for tests: forwards every request to the relay unchanged (Host
 * header included, so sign-in still binds the host the client sees) and lets a test rewrite
 * JSON answers on their way back.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Rewrites a JSON answer; return undefined to pass it through. */
export type Tamper = (method: string, path: string, body: unknown) => unknown;

/** A running proxy. */
export interface Proxy {
  readonly url: string;
  tamper: Tamper | undefined;
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
  const proxy: Proxy = { url: '', tamper: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const up = request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (ur) => {
          void (async () => {
            let out = await readAll(ur);
            const headers = { ...ur.headers };
            const isJson = String(ur.headers['content-type'] ?? '').includes('json');
            if (proxy.tamper && isJson && out.length > 0) {
              const changed = proxy.tamper(
                req.method ?? 'GET',
                (req.url ?? '').split('?')[0] as string,
                JSON.parse(out.toString()),
              );
              if (changed !== undefined) out = Buffer.from(JSON.stringify(changed));
            }
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(ur.statusCode ?? 502, {
              ...headers,
              'content-length': String(out.length),
            });
            res.end(out);
          })();
        },
      );
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
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
