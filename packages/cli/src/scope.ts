/**
 * The `--team` and `--env` options of the secrets and kv commands. The team is `--team`,
 * else HUSH_TEAM, else the only team of this identity (the SDK decides, and refuses to
 * guess among several).
 */
import type { Command } from 'commander';
import { usage } from './errors.js';

/** What the scope options parse to. */
export interface ScopeOptions {
  readonly team?: string;
  readonly env?: string;
}

/** Adds `--team` (and, for secrets, `--env`) to a subcommand. */
export function scopeOptions(cmd: Command, withEnv: boolean): Command {
  cmd.option('--team <TEAM>', 'team id or name (env: HUSH_TEAM; default: your only team)');
  if (withEnv) cmd.option('--env <ENV>', 'environment name (default: development)');
  return cmd;
}

/** The SDK scope: `--team`, else HUSH_TEAM; `--env` when given. */
export function scopeOf(
  o: ScopeOptions,
  env: NodeJS.ProcessEnv = process.env,
): { team?: string; env?: string } {
  const team = o.team ?? (env.HUSH_TEAM ? env.HUSH_TEAM : undefined);
  return {
    ...(team !== undefined ? { team } : {}),
    ...(o.env !== undefined ? { env: o.env } : {}),
  };
}

/** Adds `--if-version N` (compare-and-set from the command line). */
export function ifVersionOption(cmd: Command): Command {
  return cmd.option(
    '--if-version <N>',
    'write only if the latest version is N (0: only if it does not exist yet)',
  );
}

/** Parses `--if-version N`: a whole number, 0 meaning "must not exist yet". */
export function ifVersionOf(v: string | undefined): { ifVersion?: number } {
  if (v === undefined) return {};
  if (!/^\d{1,15}$/.test(v)) throw usage(`--if-version "${v}" is not a version number`);
  return { ifVersion: Number(v) };
}
