/**
 * Server configuration from command-line options and environment variables. Every option
 * is listed by `--help` (the same table drives parsing and help, so they cannot drift).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One option: flag, environment variable, default and help text. */
interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly def?: string;
}

export const OPTIONS = {
  host: {
    flag: '--host',
    env: 'HUSH_HOST',
    def: '127.0.0.1',
    help: 'address to listen on; anything but loopback needs TLS or a TLS-terminating proxy',
  },
  port: { flag: '--port', env: 'HUSH_PORT', def: '7474', help: 'TCP port (0 picks a free port)' },
  dataDir: {
    flag: '--data-dir',
    env: 'HUSH_DATA_DIR',
    help: 'SQLite database and blob directory (default: $XDG_DATA_HOME/hush, else ~/.local/share/hush)',
  },
  databaseUrl: {
    flag: '--database-url',
    env: 'DATABASE_URL',
    help: 'postgres://... switches storage to PostgreSQL (blobs stay in the data dir)',
  },
  tlsCert: { flag: '--tls-cert', env: 'HUSH_TLS_CERT', help: 'PEM certificate file: serve HTTPS' },
  tlsKey: { flag: '--tls-key', env: 'HUSH_TLS_KEY', help: 'PEM private key file for --tls-cert' },
  registration: {
    flag: '--registration',
    env: 'HUSH_REGISTRATION',
    def: 'open',
    help: 'open, or invite (registering needs the operator token)',
  },
  operatorToken: {
    flag: '--operator-token',
    env: 'HUSH_OPERATOR_TOKEN',
    help: 'operator token for --registration invite',
  },
  natsUrl: {
    flag: '--nats-url',
    env: 'NATS_URL',
    help: 'nats://... fan out pushes over NATS instead of PostgreSQL LISTEN/NOTIFY',
  },
  logLevel: {
    flag: '--log-level',
    env: 'HUSH_LOG_LEVEL',
    def: 'info',
    help: 'fatal, error, warn, info, debug or silent',
  },
  maxBodyBytes: {
    flag: '--max-body-bytes',
    env: 'HUSH_MAX_BODY_BYTES',
    def: String(1024 * 1024),
    help: 'largest JSON request body',
  },
  maxObjectBytes: {
    flag: '--max-object-bytes',
    env: 'HUSH_MAX_OBJECT_BYTES',
    def: String(256 * 1024),
    help: 'largest envelope',
  },
  maxChunkBytes: {
    flag: '--max-chunk-bytes',
    env: 'HUSH_MAX_CHUNK_BYTES',
    def: String(8 * 1024 * 1024),
    help: 'largest blob chunk upload',
  },
  rateLimit: {
    flag: '--rate-limit',
    env: 'HUSH_RATE_LIMIT',
    def: '200',
    help: 'requests per second per device (burst: twice that)',
  },
  teamQuotaBytes: {
    flag: '--team-quota-bytes',
    env: 'HUSH_TEAM_QUOTA_BYTES',
    def: String(10 * 1024 ** 3),
    help: 'stored bytes per team (objects and blobs)',
  },
  directQuotaBytes: {
    flag: '--direct-quota-bytes',
    env: 'HUSH_DIRECT_QUOTA_BYTES',
    def: String(10 * 1024 ** 3),
    help: 'stored bytes of direct blobs (files sent to members) per uploading principal',
  },
  uploadGcSeconds: {
    flag: '--upload-gc-seconds',
    env: 'HUSH_UPLOAD_GC_SECONDS',
    def: String(24 * 3600),
    help: 'age after which incomplete uploads are deleted',
  },
  shutdownGraceSeconds: {
    flag: '--shutdown-grace-seconds',
    env: 'HUSH_SHUTDOWN_GRACE_SECONDS',
    def: '10',
    help: 'on SIGTERM, how long requests in flight may take before their connections are cut',
  },
} as const satisfies Record<string, OptionSpec>;

export interface ServerConfig {
  host: string;
  hostExplicit: boolean;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  registration: 'open' | 'invite';
  operatorToken: string | undefined;
  natsUrl: string | undefined;
  logLevel: string;
  maxBodyBytes: number;
  maxObjectBytes: number;
  maxChunkBytes: number;
  rateLimit: number;
  teamQuotaBytes: number;
  directQuotaBytes: number;
  uploadGcSeconds: number;
  shutdownGraceSeconds: number;
}

/** A configuration mistake: printed as one line, exit code 2. */
export class ConfigError extends Error {}

/** The default data directory under XDG_DATA_HOME. */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/')
      ? env.XDG_DATA_HOME
      : join(homedir(), '.local', 'share');
  return join(base, 'hush');
}

/** The `--help` text. */
export function helpText(bin = 'hush-server'): string {
  const specs: OptionSpec[] = Object.values(OPTIONS);
  // The help column starts two spaces after the longest option.
  const width = Math.max(...specs.map((o) => `  ${o.flag} VALUE`.length)) + 2;
  const rows = specs.map((o) => {
    const left = `  ${o.flag} VALUE`.padEnd(width);
    const def = o.def !== undefined ? ` [default: ${o.def}]` : '';
    return `${left}${o.help}${def}\n${' '.repeat(width)}env: ${o.env}`;
  });
  return [
    `Usage: ${bin} [OPTIONS]`,
    '',
    'Runs the hush relay server. It stores and routes ciphertext only and never holds a key.',
    'With no options it serves http://127.0.0.1:7474 from a SQLite database in the data dir.',
    '',
    'Options (each also read from the environment variable shown):',
    ...rows,
    `${'  --help'.padEnd(width)}show this help`,
    '',
    'Examples:',
    `  ${bin}                                     # SQLite under ~/.local/share/hush`,
    `  ${bin} --database-url postgres://postgres@127.0.0.1/hush`,
    `  ${bin} --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem`,
  ].join('\n');
}

function int(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d{1,16}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  }
  return Number(v);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses argv (without node and script) and the environment; throws ConfigError on a mistake. */
export function parseConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ServerConfig | 'help' {
  const values = new Map<string, string>();
  const byFlag = new Map(Object.entries(OPTIONS).map(([k, o]) => [o.flag as string, k]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const key = byFlag.get(flag);
    if (!key) throw new ConfigError(`unknown option "${arg}" (see --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
    values.set(key, value);
  }
  const get = (k: keyof typeof OPTIONS): string | undefined => {
    const o: OptionSpec = OPTIONS[k];
    return (
      values.get(k) ??
      (env[o.env] !== undefined && env[o.env] !== '' ? env[o.env] : undefined) ??
      o.def
    );
  };
  const registration = get('registration');
  if (registration !== 'open' && registration !== 'invite')
    throw new ConfigError('--registration must be "open" or "invite"');
  const operatorToken = get('operatorToken');
  if (registration === 'invite' && (!operatorToken || operatorToken.length < 16)) {
    throw new ConfigError('--registration invite needs --operator-token of at least 16 characters');
  }
  const databaseUrl = get('databaseUrl');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new ConfigError('--database-url must be a postgres:// URL');
  const tlsCert = get('tlsCert');
  const tlsKey = get('tlsKey');
  if (Boolean(tlsCert) !== Boolean(tlsKey))
    throw new ConfigError('--tls-cert and --tls-key go together');
  const logLevel = get('logLevel') as string;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    host: get('host') as string,
    hostExplicit: values.has('host') || Boolean(env.HUSH_HOST),
    port: int('--port', get('port') as string, 0, 65535),
    dataDir: get('dataDir') ?? defaultDataDir(env),
    databaseUrl,
    tlsCert,
    tlsKey,
    registration,
    operatorToken,
    natsUrl: get('natsUrl'),
    logLevel,
    maxBodyBytes: int('--max-body-bytes', get('maxBodyBytes') as string, 1024),
    maxObjectBytes: int('--max-object-bytes', get('maxObjectBytes') as string, 1024),
    maxChunkBytes: int('--max-chunk-bytes', get('maxChunkBytes') as string, 1024, 2 ** 31 - 1),
    rateLimit: int('--rate-limit', get('rateLimit') as string, 1),
    teamQuotaBytes: int('--team-quota-bytes', get('teamQuotaBytes') as string, 0),
    directQuotaBytes: int('--direct-quota-bytes', get('directQuotaBytes') as string, 0),
    uploadGcSeconds: int('--upload-gc-seconds', get('uploadGcSeconds') as string, 1),
    shutdownGraceSeconds: int(
      '--shutdown-grace-seconds',
      get('shutdownGraceSeconds') as string,
      0,
      3600,
    ),
  };
}
