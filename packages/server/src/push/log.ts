/**
 * A warning line for the fan-out buses, which start before the Fastify logger exists. Same
 * shape as the server's pino lines (JSON on stdout); never carries an id, token or payload.
 */
const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/** Returns a warn function honouring the configured log level. */
export function busWarn(logLevel: string): (msg: string) => void {
  const threshold = LEVELS[logLevel] ?? 30;
  return (msg) => {
    if (threshold > 40) return;
    process.stdout.write(
      `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg })}\n`,
    );
  };
}
