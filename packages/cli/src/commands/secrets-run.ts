/**
 * `hush secrets run [--env E] -- COMMAND...`: runs a command with an environment's secrets
 * in its environment. Nothing is written to disk: the home is opened read-only (no
 * state.json save, no refresh-token rotation), and the values exist only in this process
 * and the child's environment. The child's stdout and stderr pass through the masking
 * filter unless `--no-mask`; its exit code and a fatal signal are passed on.
 */
import type { Command } from 'commander';
import { globals, openHush, sdk, warnings } from '../context.js';
import { usage } from '../errors.js';
import { note } from '../output.js';
import { endLike, runCommand } from '../runner.js';
import { scopeOf, scopeOptions, type ScopeOptions } from '../scope.js';

/** Registers `hush secrets run`. */
export function register(secrets: Command): void {
  scopeOptions(
    secrets
      .command('run')
      .summary("run a command with an environment's secrets (output masked)")
      .argument('COMMAND...', 'the command and its arguments, after --')
      .option('--no-mask', 'give the command the terminal directly: its output is not masked'),
    true,
  )
    .addHelpText(
      'after',
      `
Secrets override variables of the same name inherited from hush's environment;
HUSH_PASSPHRASE is not passed on. With masking, every secret value of 4 or more bytes in
the command's stdout and stderr is printed as ***** (the command then writes to pipes,
not to the terminal). The exit code is the command's; a command killed by a signal makes
hush die of the same signal. Nothing is written to disk.

Examples:
  hush secrets run -- npm start
  hush secrets run --env production --no-mask -- ./deploy.sh --dry-run`,
    )
    .action(async (argv: string[], o: ScopeOptions & { mask: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g, { readOnly: true });
      const values = await hush.secrets.values(scopeOf(o));
      for (const [name, value] of Object.entries(values))
        if (value.includes('\0'))
          throw usage(`${name} holds a NUL byte, which no environment variable can hold`);
      for (const w of warnings()) note(`hush: warning: ${w}`);
      const secretValues = Object.values(values);
      if (secretValues.length === 0)
        note(`hush: warning: environment ${o.env ?? 'development'} holds no secrets`);
      const env: NodeJS.ProcessEnv = { ...process.env, ...values };
      delete env.HUSH_PASSPHRASE;
      // With nothing long enough to mask, the command may as well have the terminal.
      const { MIN_MASKED } = await sdk();
      const masking = o.mask && secretValues.some((v) => Buffer.byteLength(v) >= MIN_MASKED);
      const ending = await runCommand(argv, { env, mask: masking ? secretValues : undefined });
      await endLike(ending);
    });
}
