/** `hush send TEAM|@MEMBER TEXT|-`: send an encrypted message to a team or a member. */
import { type Command, Option } from 'commander';
import { globals, openHush } from '../context.js';
import { usage } from '../errors.js';
import { readStdin } from '../input.js';
import { note, out, printJson } from '../output.js';
import { MESSAGE_TYPES, PRIORITIES } from '../vocab.js';

interface SendOptions {
  readonly topic?: string;
  readonly type?: (typeof MESSAGE_TYPES)[number];
  readonly priority?: (typeof PRIORITIES)[number];
  readonly replyTo?: string;
}

/** Registers `hush send`. */
export function register(program: Command): void {
  program
    .command('send')
    .summary('send a message to a team or a member')
    .argument('TARGET', 'a team (id or name), or @MEMBER for a direct message')
    .argument('TEXT', 'the message, or - to read it from stdin')
    .option('--topic <TOPIC>', 'a short topic')
    .addOption(new Option('--type <TYPE>', 'message type').choices(MESSAGE_TYPES))
    .addOption(new Option('--priority <PRIORITY>', 'how urgent it is').choices(PRIORITIES))
    .option('--reply-to <ID>', 'the message this one answers (a response needs it)')
    .addHelpText(
      'after',
      `
Prints the new message id on stdout. A send while the relay is down is queued in the home's
outbox and delivered exactly once by a later command.

Examples:
  hush send core "deploy at 15:00?" --type request --priority urgent
  hush send @bob "thanks!"
  git log -5 --oneline | hush send core --topic changes -
  hush send core "done" --type response --reply-to 8V3x...`,
    )
    .action(async (target: string, text: string, o: SendOptions, cmd: Command) => {
      const g = globals(cmd);
      const body = text === '-' ? await readStdin() : text;
      if (body.trim() === '') throw usage('the message is empty');
      const hush = await openHush(g);
      const ref = await hush.messages.send(target, {
        text: body,
        ...(o.topic !== undefined ? { topic: o.topic } : {}),
        ...(o.type !== undefined ? { type: o.type } : {}),
        ...(o.priority !== undefined ? { priority: o.priority } : {}),
        ...(o.replyTo !== undefined ? { replyTo: o.replyTo } : {}),
      });
      if (g.json) return printJson(ref);
      out(ref.id);
      if (ref.queued)
        note('the relay is unreachable: queued in the outbox, sent by the next command');
    });
}
