/**
 * `hush mcp`: the server over stdio. Stdout carries MCP JSON-RPC and nothing else: it is
 * claimed before anything runs, and every other write to it (a stray console.log in any
 * library) is sent to stderr instead, where diagnostics belong.
 */
import { Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createServer } from './server.js';
import { Session, type SessionOptions } from './session.js';

/** What `serveStdio` takes. */
export type ServeOptions = Omit<SessionOptions, 'log'> & {
  /** The version the server reports. */
  readonly version: string;
};

/** Diagnostics: one line on stderr each. */
export function logLine(line: string): void {
  process.stderr.write(`hush mcp: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
}

/**
 * Takes stdout for the JSON-RPC transport and sends every other write to stderr. Returns
 * the stream the transport writes to.
 */
export function claimStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout) as (
    chunk: unknown,
    cb: (e?: Error | null) => void,
  ) => boolean;
  const rpc = new Writable({
    write(chunk, _encoding, cb) {
      write(chunk, cb);
    },
  });
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  return rpc;
}

/**
 * Serves MCP on stdin/stdout as the identity of `opts.home` until stdin closes (the client
 * went away) or SIGINT/SIGTERM. Throws the SDK's error, before serving, when the identity
 * cannot be opened.
 * @example
 * await serveStdio({ workspace: process.cwd(), version: '0.1.0' });
 */
export async function serveStdio(opts: ServeOptions): Promise<void> {
  const rpc = claimStdout();
  const session = await Session.open({ ...opts, log: logLine });
  const server = createServer(session, { version: opts.version });
  const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
  const stop = () => void server.close();
  process.stdin.once('end', stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.connect(new StdioServerTransport(process.stdin, rpc));
  session.start();
  logLine(`serving ${session.workspace.root} over stdio`);
  await closed;
  await session.close();
}
