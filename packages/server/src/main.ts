#!/usr/bin/env node
/**
 * `hush-server`: parses options, starts the server, prints one line with its URL, and shuts
 * down gracefully on SIGINT/SIGTERM (in-flight requests finish, push clients get a clean
 * close). Configuration mistakes exit 2 with one line; a failure to start exits 1.
 */
import { ConfigError, helpText, parseConfig } from './config.js';
import { startServer } from './server.js';
import './plugins.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`hush-server: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  if (!config.tlsCert && !LOOPBACK.test(config.host)) {
    process.stderr.write(
      `hush-server: warning: serving plain HTTP on ${config.host}; put a TLS-terminating proxy in front of it\n`,
    );
  }
  let server;
  try {
    server = await startServer(config);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`hush-server: could not start: ${msg.split('\n')[0]}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `hush-server listening on ${server.url} (${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`})\n`,
  );
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
