/**
 * The command tree. Command modules only describe their commands; each imports the SDK
 * (or the server) inside its action, so building the tree costs almost nothing.
 */
import { Command, Option } from 'commander';
import { unmarkEverywhere } from './ids.js';
import { register as agent } from './commands/agent.js';
import { register as completion } from './commands/completion.js';
import { register as device } from './commands/device.js';
import { register as file } from './commands/file.js';
import { register as fingerprint } from './commands/fingerprint.js';
import { register as init } from './commands/init.js';
import { register as join } from './commands/join.js';
import { register as mcp } from './commands/mcp.js';
import { register as kv } from './commands/kv.js';
import { register as messages } from './commands/messages.js';
import { register as send } from './commands/send.js';
import { register as outbox } from './commands/outbox.js';
import { register as recovery } from './commands/recovery.js';
import { register as secrets } from './commands/secrets.js';
import { register as server } from './commands/server.js';
import { register as share } from './commands/share.js';
import { register as snippet } from './commands/snippet.js';
import { register as snippets } from './commands/snippets.js';
import { register as team } from './commands/team.js';
import { register as watch } from './commands/watch.js';
import { register as whoami } from './commands/whoami.js';

/** Builds the `hush` program; errors surface as CommanderError (exitOverride). */
export function buildProgram(version: string): Command {
  const program = new Command('hush');
  program
    .description(
      'hush: end-to-end encrypted messages, snippets, secrets, key-value data and files for\n' +
        'software teams and their coding agents.\n' +
        'The relay server only ever holds ciphertext; every key, chain and signature is verified here.',
    )
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option(
      '--home <DIR>',
      'identity and state directory (env: HUSH_HOME; default ./.hush if present, else ~/.config/hush)',
    )
    .option(
      '--server <URL>',
      'relay server URL (env: HUSH_SERVER; default: the one remembered at init)',
    )
    .option('--json', 'print JSON on stdout instead of text')
    .addOption(
      new Option(
        '--insecure-transport',
        'allow plain http:// to a server that is not on this machine',
      ),
    )
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 bug, 2 usage, 3 auth, 4 network, 5 verification failure, 6 not found,
7 conflict, 8 local state (no identity, wrong passphrase, unreadable home).

Examples:
  hush server                               # run a relay on http://127.0.0.1:7474
  hush init --name alice --server http://127.0.0.1:7474
  hush team create core
  TOKEN=$(hush team invite core)            # give the token to bob; he runs: hush join "$TOKEN"
  hush send core "build is green"
  hush inbox --unread
  hush secrets push .env && hush secrets run -- npm start
  hush file put build/app.tar.gz             # encrypted, resumable, any size
  hush completion bash >> ~/.bashrc`,
    );
  for (const r of [
    server,
    init,
    whoami,
    fingerprint,
    device,
    recovery,
    team,
    join,
    send,
    messages,
    share,
    snippets,
    snippet,
    secrets,
    kv,
    file,
    watch,
    outbox,
    agent,
    mcp,
    completion,
  ]) {
    r(program);
  }
  unmarkEverywhere(program);
  return program;
}
