/**
 * Global options and opening the SDK. The SDK is imported here lazily, inside command
 * actions, so `hush --version` and `hush --help` never load it.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type * as Client from '@hush/client';
import type { Hush } from '@hush/client';

/** The global options every command accepts. */
export interface Globals {
  readonly home?: string;
  readonly server?: string;
  readonly json?: boolean;
  readonly insecureTransport?: boolean;
}

/** The global options as seen from a command's action. */
export function globals(cmd: Command): Globals {
  return cmd.optsWithGlobals<Globals>();
}

/**
 * The home directory: --home, else HUSH_HOME, else `./.hush/` when it exists (an agent's
 * folder); undefined leaves the SDK's default (`$XDG_CONFIG_HOME/hush`, else
 * `~/.config/hush`, docs/CLIENT.md "Files").
 */
export function resolveHome(
  g: Globals,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string | undefined {
  if (g.home) return resolve(g.home);
  if (env.HUSH_HOME) return resolve(env.HUSH_HOME);
  const local = join(cwd, '.hush');
  if (existsSync(local) && statSync(local).isDirectory()) return local;
  return undefined;
}

/**
 * The server URL given on the command line or in HUSH_SERVER (undefined: the one remembered
 * in the home). The SDK checks it: plain http:// to anything but loopback is refused unless
 * --insecure-transport is given.
 */
export function resolveServer(
  g: Globals,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return g.server ?? (env.HUSH_SERVER ? env.HUSH_SERVER : undefined);
}

/** Loads the SDK module (only inside actions). */
export async function sdk(): Promise<typeof Client> {
  return import('@hush/client');
}

let opened: Hush | undefined;

/** The SDK's non-fatal findings of this run (printed on stderr by the top level). */
export function warnings(): string[] {
  return opened?.takeWarnings() ?? [];
}

/** The passphrase of a wrapped identity, from HUSH_PASSPHRASE (never asked on a non-terminal). */
export function passphrase(env: NodeJS.ProcessEnv = process.env): { passphrase?: string } {
  return env.HUSH_PASSPHRASE ? { passphrase: env.HUSH_PASSPHRASE } : {};
}

/**
 * Opens this home's identity and state (exit 8 when there is none); `readOnly` never writes
 * the home, `fetch` replaces the HTTP client (see the SDK's OpenOptions).
 */
export async function openHush(
  g: Globals,
  opts: { readOnly?: boolean; fetch?: typeof fetch } = {},
): Promise<Hush> {
  const { Hush } = await sdk();
  const server = resolveServer(g);
  const home = resolveHome(g);
  opened = await Hush.open({
    ...(home !== undefined ? { home } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(g.insecureTransport ? { insecureTransport: true } : {}),
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...passphrase(),
  });
  return opened;
}
