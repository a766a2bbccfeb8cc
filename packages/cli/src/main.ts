#!/usr/bin/env node
/**
 * `hush`: parses the command line, runs one command, and maps every failure to one line on
 * stderr and an exit code (docs/CLIENT.md, "CLI"). Never a stack trace: a bug says so.
 */
import { readFileSync } from 'node:fs';
import { classify, EXIT } from './errors.js';
import { warnings } from './context.js';

function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

function printWarnings(): void {
  for (const w of warnings())
    process.stderr.write(`hush: warning: ${w.replace(/\s*\n\s*/g, ' ')}\n`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // The one command that must be instant: answered before the command tree is even loaded.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const { CommanderError } = await import('commander');
  try {
    const { buildProgram } = await import('./program.js');
    const { markDashedIds } = await import('./ids.js');
    const program = buildProgram(version());
    await program.parseAsync(markDashedIds(process.argv.slice(2)), { from: 'user' });
    printWarnings();
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      // `hush` alone printed the help on stderr already.
      if (e.code === 'commander.help') return EXIT.usage;
      const msg = e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`hush: ${msg} (see --help)\n`);
      return EXIT.usage;
    }
    printWarnings();
    const f = classify(e);
    process.stderr.write(`hush: ${f.message}\n`);
    if (f.exitCode === EXIT.bug && process.env.HUSH_DEBUG && e instanceof Error && e.stack) {
      process.stderr.write(`${e.stack}\n`);
    }
    return f.exitCode;
  }
}

// `hush inbox | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  process.exit(e.code === 'EPIPE' ? EXIT.ok : EXIT.bug);
});

const code = await main();
await flush();
process.exit(code);
