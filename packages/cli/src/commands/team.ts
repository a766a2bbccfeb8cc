/** `hush team ...`: create, list, show, invite, add, remove, role, rotate, leave. */
import { Argument, type Command, Option } from 'commander';
import type { Hush, TeamDetail } from '@hush/client';
import type { RoleName } from '@hush/core';
import { globals, openHush } from '../context.js';
import { usage } from '../errors.js';
import { fields, note, out, printJson, table } from '../output.js';
import { parseDuration, ROLES } from '../vocab.js';

const roleOption = (def: string) =>
  new Option('--role <ROLE>', 'role in the team').choices(ROLES).default(def);
const roleArgument = () => new Argument('ROLE', 'the new role').choices(ROLES);

/**
 * Lists on stderr the secrets a removed member could read: hush re-keyed the team, but the
 * values themselves must be changed where they are issued. The removal is done whatever
 * happens here, so a failure to list is a warning, not an error.
 */
async function warnExposed(hush: Hush, team: string, member: string): Promise<void> {
  let exposed;
  try {
    exposed = await hush.secrets.exposedTo(team, member);
  } catch (e) {
    // Not found: this principal removed itself (left), so it reads nothing of the team now.
    if ((e as { kind?: unknown }).kind === 'NOT_FOUND') return;
    note(`hush: warning: could not list the secrets ${member} could read: ${(e as Error).message}`);
    return;
  }
  if (exposed.length === 0) return;
  note(
    `${member} could read these ${exposed.length} secrets: rotate them at their source (hush cannot un-tell a value):`,
  );
  for (const s of exposed) note(`  ${s.environment}  ${s.name}`);
}

/** One line for the audit: ok, or what it found (listed below the members). */
function auditSummary(a: TeamDetail['audit']): string {
  const parts = [
    ...(a.problems.length
      ? [`${a.problems.length} stale key holder(s): rotate before writing`]
      : []),
    ...(a.missingKeyBoxes.length
      ? [`${a.missingKeyBoxes.length} device(s) without a key box: a rotation gives them one`]
      : []),
  ];
  return parts.length ? parts.join('; ') : 'ok: the key is held by exactly the current devices';
}

/** Registers `hush team` and its subcommands. */
export function register(program: Command): void {
  const team = program
    .command('team')
    .summary('create and manage teams')
    .description(
      'Teams: a verified membership chain, and a team key rotated whenever someone leaves.',
    )
    .addHelpText(
      'after',
      `
Examples:
  hush team create core
  TOKEN=$(hush team invite core --role writer --expires 2d)
  hush team show core`,
    );

  team
    .command('create')
    .summary('create a team (you are its owner)')
    .argument('NAME', 'team name (encrypted: the relay never sees it)')
    .addHelpText(
      'after',
      '\nExamples:\n  hush team create core\n  hush team create "release crew" --json',
    )
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const t = await hush.teams.create(name);
      if (g.json) return printJson(t);
      out(t.id);
      note(`created team "${t.name}"; invite people with: hush team invite ${t.name}`);
    });

  team
    .command('list')
    .summary('list your teams')
    .addHelpText('after', '\nExamples:\n  hush team list\n  hush team list --json')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const teams = await hush.teams.list();
      if (g.json) return printJson(teams);
      table(
        ['ID', 'NAME', 'ROLE', 'MEMBERS', 'KEY'],
        teams.map((t) => [t.id, t.name, t.role, t.members, t.generation]),
        'no teams yet: hush team create NAME, or hush join TOKEN',
      );
    });

  team
    .command('show')
    .summary('members, roles, devices, key generation and chain head of a team')
    .argument('TEAM', 'team id or name')
    .addHelpText('after', '\nExamples:\n  hush team show core\n  hush team show core --json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const t = await hush.teams.show(name);
      if (g.json) return printJson(t);
      fields([
        ['team', t.name],
        ['id', t.id],
        ['your role', t.role],
        ['key generation', t.generation],
        ['chain head', `${t.headSeq} ${t.head}`],
        ['open invites', t.openInvites],
        ...(t.rotationPending ? ([['rotation', 'pending: run hush team rotate']] as const) : []),
        ['audit', auditSummary(t.audit)],
      ]);
      out();
      table(
        ['MEMBER', 'NAME', 'ROLE', 'KIND', 'DEVICES'],
        t.memberList.map((m) => [
          m.principalId,
          m.name,
          m.role,
          m.kind,
          m.devices.filter((d) => !d.revoked).length,
        ]),
      );
      const findings = [...t.audit.problems, ...t.audit.missingKeyBoxes];
      if (findings.length > 0) out();
      for (const f of findings) out(`! ${f}`);
    });

  team
    .command('invite')
    .summary('create an invite token (printed alone on stdout)')
    .argument('TEAM', 'team id or name')
    .addOption(roleOption('writer'))
    .option('--expires <DURATION>', 'how long the token is valid: 90s, 30m, 24h, 7d, 2w', '7d')
    .addHelpText(
      'after',
      `
The token is printed alone on stdout; explanations go to stderr. Send it over a channel
you trust: whoever holds it can join until it expires or is used.

Examples:
  TOKEN=$(hush team invite core)
  hush team invite core --role reader --expires 24h`,
    )
    .action(async (name: string, o: { role: RoleName; expires: string }, cmd: Command) => {
      const g = globals(cmd);
      const expiresInMs = parseDuration(o.expires);
      if (expiresInMs === undefined)
        throw usage(`--expires "${o.expires}" is not a duration like 30m, 24h or 7d`);
      const hush = await openHush(g);
      const token = await hush.teams.invite(name, { role: o.role, expiresInMs });
      if (g.json) return printJson({ token, role: o.role, expiresInMs });
      out(token);
      note(
        `invite for ${name} as ${o.role}, valid ${o.expires}: the invitee runs  hush join TOKEN`,
      );
    });

  team
    .command('add')
    .summary('add a principal you already know (e.g. an agent) to a team')
    .argument('TEAM', 'team id or name')
    .argument('MEMBER_ID', 'principal id')
    .addOption(roleOption('writer'))
    .option('--name <NAME>', "the member's display name in the team (sealed; others see it)")
    .addHelpText(
      'after',
      '\nExamples:\n  hush team add core 3q2-...principal-id --role agent --name reviewer',
    )
    .action(
      async (name: string, member: string, o: { role: RoleName; name?: string }, cmd: Command) => {
        const g = globals(cmd);
        const hush = await openHush(g);
        await hush.teams.add(name, member, o.role, o.name !== undefined ? { name: o.name } : {});
        note(`added ${member} to ${name} as ${o.role}`);
      },
    );

  team
    .command('remove')
    .summary('remove a member (rotates the team key in the same step)')
    .argument('TEAM', 'team id or name')
    .argument('MEMBER', 'principal id or @name')
    .addHelpText('after', '\nExamples:\n  hush team remove core @mallory')
    .action(async (name: string, member: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      await hush.teams.remove(name, member);
      // Removing oneself is leaving: no rotation happens until a remaining member rotates.
      const me = hush.whoami();
      if ([me.principalId, me.name].includes(member.replace(/^@/, ''))) {
        note(`left ${name}; a remaining owner, admin or writer must rotate the team key`);
        return;
      }
      note(`removed ${member} from ${name}; the team key was rotated`);
      await warnExposed(hush, name, member);
    });

  team
    .command('role')
    .summary("change a member's role")
    .argument('TEAM', 'team id or name')
    .argument('MEMBER', 'principal id or @name')
    .addArgument(roleArgument())
    .addHelpText('after', '\nExamples:\n  hush team role core @bob admin')
    .action(async (name: string, member: string, role: RoleName, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      await hush.teams.setRole(name, member, role);
      note(`${member} is now ${role} in ${name}`);
    });

  team
    .command('rotate')
    .summary('rotate the team key')
    .argument('TEAM', 'team id or name')
    .addHelpText('after', '\nExamples:\n  hush team rotate core')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const r = await hush.teams.rotate(name);
      if (g.json) return printJson(r);
      note(`rotated the key of ${name}`);
    });

  team
    .command('leave')
    .summary('leave a team')
    .argument('TEAM', 'team id or name')
    .addHelpText('after', '\nExamples:\n  hush team leave core')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      await hush.teams.leave(name);
      note(`left ${name}`);
    });
}
