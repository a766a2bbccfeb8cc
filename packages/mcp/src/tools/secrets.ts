/**
 * Secrets, without their values: `secret_names` lists names; `secret_run` runs a command with
 * an environment's secrets in its environment and returns its output masked, only under a
 * secret grant a human owner or admin wrote for this agent (docs/CLIENT.md "Agents and
 * secrets"; the SDK's `grants` judges it). A value is never part of a tool result: the run
 * goes through the SDK's masking filter (the one `hush secrets run` uses), and a value too
 * short to mask is not given to the command at all.
 */
import {
  DEFAULT_ENVIRONMENT,
  MIN_MASKED,
  runMasked,
  type Hush,
  type SecretGrant,
} from '@hush/client';
import * as z from 'zod';
import { ToolError } from '../errors.js';
import { defineTool, READ, RUN } from './tool.js';
import { teamRef } from './shapes.js';

/** How long a command may run (seconds), and the default. */
const MAX_SECONDS = 300;
const DEFAULT_SECONDS = 60;
/** Bytes of stdout and of stderr returned (the last ones, after masking). */
export const MAX_OUTPUT_BYTES = 32 * 1024;
/** How often a long run reports progress. */
const TICK_MS = 10_000;

const scope = {
  team: z.string().optional().describe('team id or name; default: your only team'),
  env: z.string().optional().describe('environment, e.g. "production"; default "development"'),
};

function allowCommand(me: string, g: SecretGrant, env: string): string {
  return `hush agent allow-secrets ${me} --team ${g.team.name || g.team.id} --env ${env}`;
}

/** Every value of every environment of a team: what the output is masked against. */
async function allValues(hush: Hush, team: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await hush.secrets.environments({ team }))
    out.push(...Object.values(await hush.secrets.values({ team, env: e.name })));
  return out;
}

const secretNames = defineTool({
  name: 'secret_names',
  title: 'List secret names',
  description:
    'The names of the secrets of one environment of a team (never their values), the environments that exist, and whether a human allowed you to use them with secret_run.',
  input: z.object(scope),
  output: z.object({
    team: teamRef,
    environment: z.string(),
    names: z.array(z.string()),
    environments: z.array(z.object({ name: z.string(), secrets: z.number().int() })),
    allowed: z
      .array(z.string())
      .describe('the environments secret_run may use (empty: none; a human must allow it)'),
    note: z.string().describe('why secret_run is not allowed, or ""'),
  }),
  annotations: READ,
  run: async (a, { hush }) => {
    const g = await hush.grants.get(undefined, a.team !== undefined ? { team: a.team } : {});
    const env = a.env ?? DEFAULT_ENVIRONMENT;
    const names = (await hush.secrets.list({ team: g.team.id, env })).map((s) => s.name);
    return {
      team: g.team,
      environment: env,
      names,
      environments: await hush.secrets.environments({ team: g.team.id }),
      allowed: [...g.envs],
      note: g.granted ? '' : g.reason,
    };
  },
});

const secretRun = defineTool({
  name: 'secret_run',
  title: 'Run a command with secrets',
  description:
    'Run a command in your workspace with the secrets of one environment as environment variables, and get its exit code and its stdout and stderr with every secret value replaced by *****. ' +
    'You never see the values: use this to run tests, migrations or deploys that need them. It works only for environments a human allowed for you (see secret_names). ' +
    `command is an argument list, run without a shell (use ["sh", "-c", "..."] for one); it gets no stdin, is killed after timeout_seconds, and the last ${MAX_OUTPUT_BYTES / 1024} KiB of each stream are returned. ` +
    `Values shorter than ${MIN_MASKED} bytes cannot be masked and are left out (listed in withheld).`,
  input: z.object({
    command: z
      .array(z.string())
      .min(1)
      .describe('the program and its arguments, e.g. ["npm", "test"]'),
    ...scope,
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_SECONDS)
      .default(DEFAULT_SECONDS)
      .describe(`1 to ${MAX_SECONDS} seconds`),
  }),
  output: z.object({
    team: teamRef,
    environment: z.string(),
    exitCode: z.number().int().nullable().describe('null when a signal ended it'),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    stdout: z.string().describe('masked'),
    stderr: z.string().describe('masked'),
    droppedBytes: z
      .object({ stdout: z.number().int(), stderr: z.number().int() })
      .describe('bytes left out at the start of each stream (the output was longer)'),
    injected: z.array(z.string()).describe('the variables the command got'),
    withheld: z
      .array(z.object({ name: z.string(), reason: z.string() }))
      .describe('secrets of the environment the command did not get'),
  }),
  annotations: RUN,
  locking: 'self',
  run: async (a, ctx) => {
    const env = a.env ?? DEFAULT_ENVIRONMENT;
    const prepared = await ctx.session.exclusive(async (hush) => {
      const g = await hush.grants.get(undefined, a.team !== undefined ? { team: a.team } : {});
      if (!g.envs.includes(env))
        throw new ToolError(
          'GRANT',
          `secret_run may not use environment ${env} of team ${g.team.name || g.team.id}: ${
            g.granted
              ? `only ${g.envs.join(', ')} ${g.envs.length === 1 ? 'is' : 'are'} allowed`
              : g.reason
          }; a human owner or admin allows it with: ${allowCommand(hush.whoami().principalId, g, env)}`,
        );
      const values = await hush.secrets.values({ team: g.team.id, env });
      return { team: g.team, values, mask: await allValues(hush, g.team.id) };
    });
    const injected: Record<string, string> = {};
    const withheld: { name: string; reason: string }[] = [];
    for (const [name, value] of Object.entries(prepared.values)) {
      if (Buffer.byteLength(value) < MIN_MASKED)
        withheld.push({ name, reason: `shorter than ${MIN_MASKED} bytes: it could not be masked` });
      else if (value.includes('\0'))
        withheld.push({ name, reason: 'holds a NUL byte, which no environment variable can' });
      else injected[name] = value;
    }
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...injected };
    delete childEnv.HUSH_PASSPHRASE;
    const start = Date.now();
    const total = a.timeout_seconds * 1000;
    const tick = setInterval(
      () => void ctx.progress(Date.now() - start, total, `running ${a.command[0] ?? ''}`),
      TICK_MS,
    );
    try {
      const r = await runMasked(a.command, {
        env: childEnv,
        cwd: ctx.session.workspace.root,
        mask: [...prepared.mask, ...Object.values(prepared.values)],
        timeoutMs: total,
        maxOutputBytes: MAX_OUTPUT_BYTES,
        signal: ctx.signal,
      });
      if (r.cancelled) throw new ToolError('USAGE', 'the run was cancelled');
      return {
        team: prepared.team,
        environment: env,
        exitCode: r.exitCode,
        signal: r.signal,
        timedOut: r.timedOut,
        stdout: r.stdout,
        stderr: r.stderr,
        droppedBytes: r.dropped,
        injected: Object.keys(injected).sort(),
        withheld,
      };
    } finally {
      clearInterval(tick);
    }
  },
});

/** The secret tools. */
export const secretTools = [secretNames, secretRun];
