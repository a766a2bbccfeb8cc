/** `hush init`: create this device's keys and principal, register, remember the server. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { globals, passphrase, resolveHome, resolveServer, sdk } from '../context.js';
import { valueOrAsk } from '../input.js';
import { fields, identityRows, note, printJson } from '../output.js';

interface InitOptions {
  readonly name?: string;
  readonly operatorToken?: string;
}

function defaultName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Registers `hush init`. */
export function register(program: Command): void {
  program
    .command('init')
    .summary('create this device and its principal, and register it')
    .description(
      "Creates this device's keys and a new principal, registers them with the relay and signs in.\n" +
        'The server URL is remembered in the home (HUSH_SERVER or --server override it later).\n' +
        'With HUSH_PASSPHRASE set, the device keys are wrapped with it (scrypt).',
    )
    .option('--name <NAME>', 'your display name, as teammates will see it')
    .option('--operator-token <TOKEN>', 'needed when the relay only lets invited people register')
    .addHelpText(
      'after',
      `
Examples:
  hush init --name alice --server https://hush.example.com
  HUSH_HOME=/tmp/bob hush init --name bob --server http://127.0.0.1:7474`,
    )
    .action(async (opts: InitOptions, cmd: Command) => {
      const g = globals(cmd);
      const server = await valueOrAsk(
        resolveServer(g),
        '--server',
        'Relay server URL',
        'http://127.0.0.1:7474',
      );
      const name = await valueOrAsk(opts.name, '--name', 'Your display name', defaultName());
      const { Hush } = await sdk();
      const home = resolveHome(g);
      const hush = await Hush.init({
        ...(home !== undefined ? { home } : {}),
        server,
        name,
        ...(g.insecureTransport ? { insecureTransport: true } : {}),
        ...(opts.operatorToken ? { operatorToken: opts.operatorToken } : {}),
        ...passphrase(),
      });
      const me = hush.whoami();
      if (g.json) {
        printJson(me);
        return;
      }
      fields(identityRows(me, { name }));
      note('next: hush team create NAME, or hush join TOKEN with an invite from a teammate');
    });
}
