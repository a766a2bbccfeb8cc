/**
 * `hush agent create NAME [--dir DIR]`: an agent principal and device in `DIR/.hush/`,
 * sponsored by the current user. The CLI run in DIR then acts as the agent.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { globals, openHush, passphrase, sdk } from '../context.js';
import { fields, note, printJson } from '../output.js';

/** Adds `.hush/` to DIR/.gitignore unless an entry already covers it. */
async function ignoreHome(dir: string): Promise<boolean> {
  const path = join(dir, '.gitignore');
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text.split('\n').some((l) => ['.hush', '.hush/', '/.hush', '/.hush/'].includes(l.trim())))
    return false;
  await appendFile(path, `${text === '' || text.endsWith('\n') ? '' : '\n'}.hush/\n`);
  return true;
}

/** Registers `hush agent`. */
export function register(program: Command): void {
  const agent = program.command('agent').summary('create agent identities for coding agents');
  agent
    .command('create')
    .summary('create an agent principal in DIR/.hush/, sponsored by you')
    .argument('NAME', "the agent's display name")
    .option('--dir <DIR>', 'the folder the agent works in', '.')
    .addHelpText(
      'after',
      `
The agent's keys live in DIR/.hush/ (added to DIR/.gitignore). hush run inside DIR acts as
the agent. Add it to a team with the printed id:  hush team add TEAM AGENT_ID --role agent

Examples:
  hush agent create reviewer --dir ~/src/api
  cd ~/src/api && hush inbox`,
    )
    .action(async (name: string, o: { dir: string }, cmd: Command) => {
      const g = globals(cmd);
      const me = (await openHush(g)).whoami();
      const dir = resolve(o.dir);
      const { Hush } = await sdk();
      const agentHush = await Hush.init({
        home: join(dir, '.hush'),
        server: me.server,
        name,
        agent: { sponsor: me.principalId },
        ...(g.insecureTransport ? { insecureTransport: true } : {}),
        ...passphrase(),
      });
      const ignored = await ignoreHome(dir);
      const a = agentHush.whoami();
      if (g.json) return printJson(a);
      fields([
        ['agent', name],
        ['principal', a.principalId],
        ['home', a.home],
        ['sponsor', me.principalId],
      ]);
      if (ignored) note(`added .hush/ to ${join(dir, '.gitignore')}`);
      note(`next: hush team add TEAM ${a.principalId} --role agent`);
    });
}
