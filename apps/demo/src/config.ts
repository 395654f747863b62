import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MIN_SECRET_BYTES } from '@coatcheck/core';

/** Where sessions live: the values of `SESSION_STORE`. */
export const STORE_KINDS = [
  'sqlite',
  'memory',
  'cookie',
  'redis',
  'redis-cluster',
  'postgres',
  'mysql',
  'mongo',
] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The demo's settings, read from the environment by {@link readConfig}. */
export interface DemoConfig {
  store: StoreKind;
  /** `0` picks a free port. */
  port: number;
  /** The key ring: the first secret signs, all verify. */
  secrets: string[];
  /** `NODE_ENV=production`: secure `__Host-` cookie, no generated secrets. */
  production: boolean;
  idleTimeoutSeconds: number | undefined;
  absoluteTimeoutSeconds: number | undefined;
  /** Express' `trust proxy` setting, for a TLS-terminating proxy in front (`TRUST_PROXY`). */
  trustProxy: string | undefined;
  /** Redis URL; for `redis-cluster`, a comma-separated list of seed nodes. */
  redisUrl: string;
  /** Prepended to every Redis key (`REDIS_PREFIX`), so several apps can share one Redis. */
  redisPrefix: string;
  /** PostgreSQL or MySQL URL. */
  databaseUrl: string;
  /** The PostgreSQL schema: `?schema=` of `DATABASE_URL`, checked to be a plain name. @default 'public' */
  postgresSchema: string;
  mongoUrl: string;
  /** The SQLite database file. */
  sqliteFile: string;
}

/** A setting that stops the demo from starting; the message says what to do. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_SQLITE_FILE = fileURLToPath(new URL('../.data/sessions.db', import.meta.url));

/** Reads and checks the settings. @throws {ConfigError} naming the variable to fix. */
export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const store = (env.SESSION_STORE || 'sqlite') as StoreKind;
  if (!STORE_KINDS.includes(store)) {
    throw new ConfigError(`SESSION_STORE must be one of ${STORE_KINDS.join(', ')} (got "${store}")`);
  }
  const production = env.NODE_ENV === 'production';
  const databaseUrl =
    env.DATABASE_URL ||
    (store === 'mysql' ? 'mysql://root@127.0.0.1:3306/test' : 'postgresql://postgres@127.0.0.1:5432/test');
  return {
    store,
    port: wholeNumber(env, 'PORT') ?? 3000,
    secrets: readSecrets(env.SESSION_SECRETS, production),
    production,
    idleTimeoutSeconds: wholeNumber(env, 'SESSION_IDLE_TIMEOUT_SECONDS'),
    absoluteTimeoutSeconds: wholeNumber(env, 'SESSION_ABSOLUTE_TIMEOUT_SECONDS'),
    trustProxy: env.TRUST_PROXY || undefined,
    redisUrl:
      env.REDIS_URL ||
      // What `scripts/redis-cluster.sh start` prints; a single node on the default port otherwise.
      (store === 'redis-cluster'
        ? 'redis://127.0.0.1:7100,redis://127.0.0.1:7101,redis://127.0.0.1:7102'
        : 'redis://127.0.0.1:6379'),
    redisPrefix: env.REDIS_PREFIX || 'coatcheck-demo:',
    databaseUrl,
    postgresSchema: store === 'postgres' ? postgresSchemaOf(databaseUrl) : 'public',
    // What `scripts/ferretdb.sh start` prints, with a database of the demo's own.
    mongoUrl: env.MONGO_URL || 'mongodb://127.0.0.1:27018/coatcheck_demo',
    sqliteFile: env.SQLITE_FILE || DEFAULT_SQLITE_FILE,
  };
}

function readSecrets(value: string | undefined, production: boolean): string[] {
  const secrets = (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length === 0) {
    if (production) {
      throw new ConfigError(
        'SESSION_SECRETS is required in production: a comma-separated list of secrets of at least ' +
          `${MIN_SECRET_BYTES} random bytes each, newest first (generate one with \`openssl rand -base64 32\`)`,
      );
    }
    console.warn(
      '⚠ SESSION_SECRETS is not set: using a random secret for this run, so sessions end when the demo ' +
        'restarts. Set SESSION_SECRETS=$(openssl rand -base64 32) to keep them.',
    );
    return [randomBytes(32).toString('base64url')];
  }
  secrets.forEach((secret, index) => {
    const bytes = Buffer.byteLength(secret);
    if (bytes < MIN_SECRET_BYTES) {
      throw new ConfigError(
        `SESSION_SECRETS: secret #${index + 1} is ${bytes} bytes; each needs at least ${MIN_SECRET_BYTES} ` +
          'random bytes (generate one with `openssl rand -base64 32`)',
      );
    }
  });
  return secrets;
}

/**
 * `?schema=name` of a PostgreSQL URL, as in Prisma's own URLs. The demo puts it into SQL (CREATE SCHEMA,
 * the search path), so only a plain name is accepted.
 */
function postgresSchemaOf(databaseUrl: string): string {
  let schema: string | null;
  try {
    schema = new URL(databaseUrl).searchParams.get('schema');
  } catch {
    throw new ConfigError(`DATABASE_URL is not a URL (got "${databaseUrl}")`);
  }
  if (schema === null) return 'public';
  if (!/^\w+$/.test(schema)) {
    throw new ConfigError(
      `DATABASE_URL: ?schema= must be a plain schema name of letters, digits and _ (got "${schema}")`,
    );
  }
  return schema;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number (got "${value}")`);
  return Number(value);
}
