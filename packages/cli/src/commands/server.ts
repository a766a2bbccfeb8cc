/**
 * `hush server [OPTIONS]`: the relay, with exactly hush-server's options (the server's own
 * parser and help text, so the two cannot drift). The server is imported only here.
 */
import type { Command } from 'commander';
import { usage } from '../errors.js';
import { note, out } from '../output.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Registers `hush server`. */
export function register(program: Command): void {
  program
    .command('server')
    .summary('run the relay server (same options as hush-server)')
    .description(
      'Runs the hush relay server. Every option is that of hush-server: see `hush server --help`.',
    )
    .argument('[OPTIONS...]', 'hush-server options')
    .helpOption(false)
    .allowUnknownOption()
    .action(async (args: string[]) => {
      await runServer(args);
    });
}

/** Parses hush-server options and serves until SIGINT/SIGTERM. */
export async function runServer(args: readonly string[]): Promise<void> {
  const server = await import('@hush/server');
  // The route groups, buses and tasks register themselves on import.
  await import('@hush/server/plugins');
  let config;
  try {
    config = server.parseConfig(args, process.env);
  } catch (e) {
    if (e instanceof server.ConfigError) throw usage(e.message);
    throw e;
  }
  if (config === 'help') {
    out(server.helpText('hush server'));
    return;
  }
  if (!config.tlsCert && !LOOPBACK.test(config.host)) {
    note(
      `hush server: warning: serving plain HTTP on ${config.host}; put a TLS-terminating proxy in front of it`,
    );
  }
  let running;
  try {
    running = await server.startServer(config);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    note(`hush: could not start the server: ${msg.split('\n')[0] ?? ''}`);
    process.exit(1);
  }
  out(
    `hush server listening on ${running.url} (${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`})`,
  );
  note(`next, in another terminal:  hush init --name YOUR-NAME --server ${running.url}`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Keep the action pending so the top level does not exit while serving.
  await new Promise<never>(() => undefined);
}
