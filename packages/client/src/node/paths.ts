/**
 * Where an identity lives: `HUSH_HOME`, else `$XDG_CONFIG_HOME/hush`, else `~/.config/hush`.
 * An agent's home is `DIR/.hush/`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HomePaths } from '../platform.js';

export type { HomePaths } from '../platform.js';

/** The default home directory from the environment. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HUSH_HOME) return resolve(env.HUSH_HOME);
  if (env.XDG_CONFIG_HOME) return join(resolve(env.XDG_CONFIG_HOME), 'hush');
  return join(homedir(), '.config', 'hush');
}

/** The files under a home (given, or the default one). */
export function homePaths(home?: string): HomePaths {
  const h = home ? resolve(home) : defaultHome();
  return {
    home: h,
    identity: join(h, 'identity.json'),
    state: join(h, 'state.json'),
    outbox: join(h, 'outbox'),
  };
}
