/** `hush device ...`: link a new machine, join from it, list, revoke. */
import type { Command } from 'commander';
import { globals, openHush, passphrase, resolveHome, resolveServer, sdk } from '../context.js';
import { usage } from '../errors.js';
import { valueOrAsk } from '../input.js';
import { fields, identityRows, note, out, printJson, table, time } from '../output.js';
import { parseDuration } from '../vocab.js';

function duration(v: string, option: string): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw usage(`${option} takes a duration such as 10m, 1h or 2d`);
  return ms;
}

/** The QR code of `text`, for a phone or a camera on the other machine (on stderr). */
async function printQr(text: string): Promise<void> {
  const { default: qrcode } = await import('qrcode-terminal');
  qrcode.setErrorLevel('L');
  await new Promise<void>((resolve) =>
    qrcode.generate(text, { small: true }, (qr) => {
      process.stderr.write(`${qr}\n`);
      resolve();
    }),
  );
}

/** What a rotation of every team did, in one line. */
export function teamsLine(r: { rotated: readonly string[]; skipped: readonly string[] }): string {
  const s = r.skipped.length ? `; ${r.skipped.length} team(s) need a writer to rotate` : '';
  return `rotated the key of ${r.rotated.length} team(s)${s}`;
}

/** Registers `hush device` and its subcommands. */
export function register(program: Command): void {
  const device = program
    .command('device')
    .summary('link, list and revoke the devices of your identity')
    .description(
      'Your devices: each holds its own keys; a new one is linked with a one-time token, and a ' +
        'revoked one reads nothing new (every team key is rotated in the same step).',
    )
    .addHelpText(
      'after',
      `
Examples:
  hush device link                          # on the machine you already use
  hush device join hush_AQI... --server URL # on the new machine
  hush device list
  hush device revoke Xy12ab`,
    );

  device
    .command('link')
    .summary('make a one-time token for a new device, then wait for it to join')
    .option('--expires <DURATION>', 'validity of the token', '15m')
    .option('--timeout <DURATION>', 'how long to wait for the new device', '10m')
    .option('--no-wait', 'print the token and exit (run hush team rotate later)')
    .option('--no-qr', 'do not draw the QR code on stderr')
    .addHelpText(
      'after',
      `
The token is printed alone on stdout (and as a QR code on stderr). Whoever holds it can link
a device of their own until it is used or expires: pass it only to your new machine. Once the
new device has joined, every team key is rotated so the new device can read (history too).

Examples:
  hush device link
  TOKEN=$(hush device link --no-wait --no-qr)`,
    )
    .action(
      async (o: { expires: string; timeout: string; wait: boolean; qr: boolean }, cmd: Command) => {
        const g = globals(cmd);
        const expiresInMs = duration(o.expires, '--expires');
        const timeoutMs = duration(o.timeout, '--timeout');
        const hush = await openHush(g);
        const token = await hush.devices.link({ expiresInMs });
        if (g.json) printJson({ token });
        else out(token);
        if (o.qr) await printQr(token);
        note(`on the new machine run: hush device join ${token} --server ${hush.whoami().server}`);
        if (!o.wait) return;
        note('waiting for the new device to join (Ctrl-C to stop; the token stays valid)...');
        const r = await hush.devices.waitForJoin(token, { timeoutMs });
        note(`device ${r.deviceId} joined; ${teamsLine(r)}`);
      },
    );

  device
    .command('join')
    .summary('link this machine to your identity with a token from hush device link')
    .argument('[TOKEN]', 'the device token (asked for on a terminal when omitted)')
    .option('--name <NAME>', 'your display name on this device (default: from your teams)')
    .addHelpText(
      'after',
      `
The principal chain named in the token is verified before this device is added to it. Team
keys arrive once the other device (still running hush device link) rotates them.

Examples:
  hush device join hush_AQI... --server https://hush.example.com`,
    )
    .action(async (token: string | undefined, o: { name?: string }, cmd: Command) => {
      const g = globals(cmd);
      const t = await valueOrAsk(token, 'TOKEN', 'Device token');
      const server = await valueOrAsk(resolveServer(g), '--server', 'Relay server URL');
      const home = resolveHome(g);
      const { Hush } = await sdk();
      const hush = await Hush.joinDevice({
        ...(home !== undefined ? { home } : {}),
        server,
        token: t.trim(),
        ...(o.name ? { name: o.name } : {}),
        ...(g.insecureTransport ? { insecureTransport: true } : {}),
        ...passphrase(),
      });
      const me = hush.whoami();
      if (g.json) return printJson(me);
      fields(identityRows(me));
      note('linked: team keys arrive when the linking device has rotated them');
    });

  device
    .command('list')
    .summary('the devices of your identity, from its verified chain')
    .addHelpText('after', '\nExamples:\n  hush device list\n  hush device list --json')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const list = await hush.devices.list();
      if (g.json) return printJson(list);
      table(
        ['ID', 'KIND', 'ADDED', 'STATUS'],
        list.map((d) => [
          d.id,
          d.kind,
          time(d.addedAt),
          d.revoked ? `revoked ${time(d.revokedAt)}` : d.current ? 'this device' : 'active',
        ]),
      );
    });

  device
    .command('revoke')
    .summary('revoke a device and rotate every team key in the same step')
    .argument('ID', 'device id (or its first 6+ characters), see hush device list')
    .addHelpText(
      'after',
      `
The relay refuses the revoked device at once, and every team is rotated to a key it never
receives. What it read before stays readable to whoever holds it.

Examples:
  hush device revoke Xy12abCD`,
    )
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const hush = await openHush(g);
      const r = await hush.devices.revoke(id);
      if (g.json) return printJson(r);
      out(r.deviceId);
      note(`revoked; ${teamsLine(r)}`);
    });
}
