/** Reading input: stdin for `-`, and prompts only on a terminal (never in scripts). */
import { usage } from './errors.js';

/** Whether hush may ask a question: stdin and stderr are both terminals. */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY);
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Returns `value` when given; otherwise asks on a terminal, or fails with a usage error
 * naming the option when stdin is not a terminal.
 *
 * @example
 * const name = await valueOrAsk(opts.name, '--name', 'Display name');
 */
export async function valueOrAsk(
  value: string | undefined,
  option: string,
  question: string,
  fallback?: string,
): Promise<string> {
  if (value !== undefined && value !== '') return value;
  if (!interactive()) {
    throw usage(`missing ${option} (stdin is not a terminal, so hush does not ask)`);
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ''}: `)).trim();
    if (answer !== '') return answer;
    if (fallback) return fallback;
    throw usage(`missing ${option}`);
  } finally {
    rl.close();
  }
}
