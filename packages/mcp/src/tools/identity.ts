/** Who this agent is, which teams it is in, and who is in them. */
import * as z from 'zod';
import { defineTool, READ } from './tool.js';
import { principalRef } from './shapes.js';

const ROLES = ['owner', 'admin', 'writer', 'reader', 'agent'] as const;

const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Your hush identity: principal id, kind (agent or human), display name, relay, safety number and the workspace folder whose files you may share. Call it first if unsure which identity you act as.',
  input: z.object({}),
  output: z.object({
    principalId: z.string(),
    deviceId: z.string(),
    kind: z.enum(['human', 'agent']),
    name: z.string(),
    server: z.string(),
    fingerprint: z.string().describe('safety number a human can compare out of band'),
    workspace: z.string().describe('the folder share_code paths are relative to'),
  }),
  annotations: READ,
  run: async (_, { hush, session }) => {
    const me = hush.whoami();
    return {
      principalId: me.principalId,
      deviceId: me.deviceId,
      kind: me.kind,
      name: me.name,
      server: me.server,
      fingerprint: me.fingerprint,
      workspace: session.workspace.root,
    };
  },
});

const listTeams = defineTool({
  name: 'list_teams',
  title: 'List my teams',
  description:
    'The teams you are a member of, verified from their signed chains: id, name, your role and member count. Use a team name or id wherever a tool takes `team`.',
  input: z.object({}),
  output: z.object({
    teams: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        role: z.enum(ROLES),
        members: z.number().int(),
      }),
    ),
  }),
  annotations: READ,
  run: async (_, { hush }) => ({
    teams: (await hush.teams.list()).map((t) => ({
      id: t.id,
      name: t.name,
      role: t.role,
      members: t.members,
    })),
  }),
});

const listMembers = defineTool({
  name: 'list_members',
  title: 'List team members',
  description:
    'The members of one team (people and agents) with their roles, verified from the team chain. Use a member name or principal id as `member` to message them directly, or as `from` to filter.',
  input: z.object({ team: z.string().describe('team id or name') }),
  output: z.object({
    team: z.object({ id: z.string(), name: z.string() }),
    members: z.array(
      principalRef.extend({ role: z.enum(ROLES), kind: z.enum(['human', 'agent']) }),
    ),
  }),
  annotations: READ,
  run: async ({ team }, { hush }) => {
    const t = await hush.teams.show(team);
    return {
      team: { id: t.id, name: t.name },
      members: t.memberList.map((m) => ({
        principalId: m.principalId,
        name: m.name,
        role: m.role,
        kind: m.kind,
      })),
    };
  },
});

/** The identity tools. */
export const identityTools = [whoami, listTeams, listMembers];
