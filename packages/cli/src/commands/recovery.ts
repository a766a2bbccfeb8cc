/** `hush recovery create` and `hush recovery restore`: recovery words for your identity. */
import type { Command } from 'commander';
import { globals, openHush, passphrase, resolveHome, resolveServer, sdk } from '../context.js';
import { CliError, classify, usage } from '../errors.js';
import { interactive, readStdin, valueOrAsk } from '../input.js';
import { fields, identityRows, note, out, printJson, time } from '../output.js';
import { teamsLine } from './device.js';

/** Registers `hush recovery` and its subcommands. */
export function register(program: Command): void {
  const recovery = program
    .command('recovery')
    .summary('recovery words: get back in when every device is lost')
    .addHelpText(
      'after',
      `
Examples:
  hush recovery create                       # write the words down, offline
  hush recovery restore --server URL         # on a new machine; type the words`,
    );

  recovery
    .command('create')
    .summary('make recovery words (shown once, never stored)')
    .option('--yes', 'show the words even when stderr is not a terminal')
    .addHelpText(
      'after',
      `
The 33 words derive a recovery device that is added to your identity; they are shown once,
on stderr, and never stored by hush. Anyone who has them can add a device of their own:
keep them offline. Making new words revokes the previous ones. Every team key is rotated so
the recovery device can read what you can.

Examples:
  hush recovery create`,
    )
    .action(async (o: { yes?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (!process.stderr.isTTY && !o.yes)
        throw usage('the words are shown once on stderr, which is not a terminal: add --yes');
      const hush = await openHush(g);
      const r = await hush.recovery.create();
      process.stderr.write(
        `\nYour recovery words (shown once; write them down and keep them offline):\n\n` +
          `${wordLines(r.words)}\n\n` +
          `principal id: ${r.principalId}\n` +
          `restore with: hush recovery restore --server ${hush.whoami().server}\n\n`,
      );
      if (g.json)
        return printJson({
          principalId: r.principalId,
          deviceId: r.deviceId,
          rotated: r.rotated,
          skipped: r.skipped,
        });
      out(r.deviceId);
      if (r.skipped.length)
        note(`${r.skipped.length} team(s) need a writer to rotate before the words can read them`);
    });

  recovery
    .command('restore')
    .summary('link a new device from recovery words (read from stdin when it is not a terminal)')
    .option('--principal <ID>', 'your principal id (default: found through your teams)')
    .option('--name <NAME>', 'your display name on this device (default: from your teams)')
    .option(
      '--revoke-others',
      'revoke every other device of yours (they were lost) and rotate every team key',
    )
    .addHelpText(
      'after',
      `
Restoring links this machine as a new device; your other devices stay active until revoked.
Without --revoke-others they are listed, with the command that revokes each. With it, they
are all revoked and every team key is rotated in the same step, so a lost device reads
nothing new. The recovery words stay valid (hush recovery create replaces them).

Examples:
  hush recovery restore --server https://hush.example.com
  hush recovery restore --server URL --revoke-others < words.txt`,
    )
    .action(
      async (o: { principal?: string; name?: string; revokeOthers?: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const server = await valueOrAsk(resolveServer(g), '--server', 'Relay server URL');
        const words = interactive()
          ? await valueOrAsk(undefined, 'words', 'Recovery words')
          : await readStdin();
        if (words.trim() === '') throw usage('no recovery words on stdin');
        const home = resolveHome(g);
        const { Hush } = await sdk();
        const hush = await Hush.restore({
          ...(home !== undefined ? { home } : {}),
          server,
          words,
          ...(o.principal ? { principalId: o.principal } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(g.insecureTransport ? { insecureTransport: true } : {}),
          ...passphrase(),
        });
        const me = hush.whoami();
        const others = (await hush.devices.list()).filter(
          (d) => !d.current && !d.revoked && d.kind === 'device',
        );
        let revoked:
          | { revoked: readonly string[]; rotated: readonly string[]; skipped: readonly string[] }
          | undefined;
        if (o.revokeOthers) {
          try {
            revoked = await hush.devices.revokeOthers();
          } catch (e) {
            const f = classify(e);
            throw new CliError(
              f.exitCode,
              `restored this device, but revoking the others failed: ${f.message} (run hush device revoke ID for each: hush device list)`,
            );
          }
        }
        if (g.json)
          return printJson({
            ...me,
            otherDevices: revoked ? [] : others.map((d) => ({ id: d.id, addedAt: d.addedAt })),
            ...(revoked ?? {}),
          });
        fields(identityRows(me, { name: me.name }));
        if (revoked) {
          note(
            `restored; revoked ${revoked.revoked.length} other device(s); ${teamsLine(revoked)}`,
          );
          for (const id of revoked.revoked) note(`  revoked ${id}`);
        } else if (others.length > 0) {
          note('restored. Your other active devices, which can read until they are revoked:');
          for (const d of others) note(`  ${d.id}  added ${time(d.addedAt)}`);
          note('if one is lost, revoke it: hush device revoke ID (this rotates every team key)');
        } else note('restored: this is your only active device');
      },
    );
}

/** Eleven words to a line, numbered, so they are easy to copy and to check back. */
function wordLines(words: string): string {
  const list = words.split(' ');
  const lines: string[] = [];
  for (let i = 0; i < list.length; i += 11)
    lines.push(
      list
        .slice(i, i + 11)
        .map((w, j) => `${String(i + j + 1).padStart(2)}.${w}`)
        .join(' '),
    );
  return lines.map((l) => `  ${l}`).join('\n');
}
