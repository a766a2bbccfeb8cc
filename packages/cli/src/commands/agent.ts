/**
 * `hush agent create NAME [--dir DIR]`: an agent principal and device in `DIR/.hush/`,
 * sponsored by the current user. The CLI run in DIR then acts as the agent.
 * `hush agent allow-secrets AGENT [--env E]... [--revoke]`: the secret grant that lets the
 * agent's MCP server run commands with an environment's secrets (docs/CLIENT.md "Agents and
 * secrets").
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { SecretGrant } from '@hush/client';
import { globals, openHush, passphrase, sdk } from '../context.js';
import { fields, note, printJson } from '../output.js';
import { scopeOf } from '../scope.js';

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
  const agent = program
    .command('agent')
    .summary('create agent identities for coding agents, and allow them secrets');
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

  agent
    .command('allow-secrets')
    .summary("let an agent's MCP server run commands with an environment's secrets")
    .argument('AGENT', "the agent's principal id (or its display name in the team)")
    .option('--team <TEAM>', 'team id or name (env: HUSH_TEAM; default: your only team)')
    .option(
      '--env <ENV>',
      'an environment to allow (repeatable; default: development)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--revoke', 'take the environments back (without --env: all of them)')
    .addHelpText(
      'after',
      `
The agent's MCP tool secret_run then runs commands with that environment's secrets in
their environment and returns their output masked; the values never reach the model.
Allowing adds to what is allowed already. Only a human owner or admin of the team may
write a grant (exit 3 otherwise): the MCP server ignores a grant anyone else wrote. The
agent must be a member of the team (exit 6 otherwise).

An agent member can still decrypt its team's secrets with its own keys; the grant decides
what its MCP server puts in front of a model. For a hard boundary, keep secrets in a team
the agent is not in.

Examples:
  hush agent allow-secrets 3fQ...Zk --team core --env development --env test
  hush agent allow-secrets 3fQ...Zk --team core --revoke --env test
  hush agent allow-secrets 3fQ...Zk --team core --revoke`,
    )
    .action(
      async (who: string, o: { team?: string; env?: string[]; revoke?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const hush = await openHush(g);
        const team = scopeOf(o.team !== undefined ? { team: o.team } : {}).team;
        const opts = { ...(team !== undefined ? { team } : {}), ...(o.env ? { envs: o.env } : {}) };
        const grant: SecretGrant = o.revoke
          ? await hush.grants.revoke(who, opts)
          : await hush.grants.allow(who, opts);
        if (g.json) return printJson(grant);
        fields([
          ['agent', grant.agent],
          ['team', grant.team.name || grant.team.id],
          ['allowed', grant.envs.length > 0 ? grant.envs.join(', ') : '(nothing)'],
          ['version', grant.version],
        ]);
      },
    );
}
