import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteUnavailableReason } from '@coatcheck/test-utils';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { PrismaClient as MysqlClient } from '../generated/mysql/client/client.js';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client/client.js';
import type { StoreKind } from '../src/config.js';

/** One browser (or script) talking to the demo: it keeps the session cookie like a browser would. */
export class Device {
  /** The session cookie as the browser would send it (`name=value`), if any. */
  cookie: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly userAgent: string,
  ) {}

  async request(
    method: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string>; cookie?: string } = {},
  ): Promise<{ status: number; body: unknown; setCookie: string | null }> {
    const cookie = options.cookie ?? this.cookie;
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      redirect: 'manual',
      headers: {
        'user-agent': this.userAgent,
        ...(cookie ? { cookie } : {}),
        ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie && options.cookie === undefined) {
      const pair = setCookie.split(';')[0] as string;
      // An empty value with Max-Age=0 is the server clearing the cookie.
      this.cookie = /^[^=]+=$/.test(pair) || /Max-Age=0/i.test(setCookie) ? undefined : pair;
    }
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, setCookie };
  }

  get = (path: string, options?: { cookie?: string }) => this.request('GET', path, options);
  post = (path: string, json?: unknown, headers?: Record<string, string>) =>
    this.request('POST', path, { json: json ?? {}, ...(headers ? { headers } : {}) });
  delete = (path: string, headers?: Record<string, string>) =>
    this.request('DELETE', path, headers ? { headers } : {});
}

/** A store to run the demo on: the environment that selects it, and how to clean up after. */
export interface StoreVariant {
  kind: StoreKind;
  /** Why this store cannot run here, or `null`. */
  unavailable: string | null;
  /** Creates what the run needs (its own database, schema or key prefix) and returns the environment. */
  prepare(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}

// The machine's servers, as the preflight of `pnpm test` checks them; the variables point elsewhere.
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const mysqlUrl = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const unique = () => `coatcheck_demo_${randomBytes(5).toString('hex')}`;
const none = async () => {};

/** Every `SESSION_STORE` value, each isolated from other runs and from the store packages' own tests. */
export const STORE_VARIANTS: StoreVariant[] = [
  {
    kind: 'sqlite',
    unavailable: sqliteUnavailableReason(import.meta.url),
    async prepare() {
      const folder = await mkdtemp(join(tmpdir(), 'coatcheck-demo-'));
      return {
        env: { SQLITE_FILE: join(folder, 'sessions.db') },
        cleanup: () => rm(folder, { recursive: true, force: true }),
      };
    },
  },
  { kind: 'memory', unavailable: null, prepare: async () => ({ env: {}, cleanup: none }) },
  { kind: 'cookie', unavailable: null, prepare: async () => ({ env: {}, cleanup: none }) },
  {
    kind: 'redis',
    unavailable: null,
    async prepare() {
      const prefix = `${unique()}:`;
      return {
        env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix },
        async cleanup() {
          const redis = new Redis(redisUrl);
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length > 0) await redis.del(...keys);
          await redis.quit();
        },
      };
    },
  },
  {
    kind: 'redis-cluster',
    unavailable: null,
    // The cluster is this run's own (global setup), stopped and wiped after the run.
    prepare: async () => ({ env: { REDIS_URL: inject('redisClusterUrl') }, cleanup: none }),
  },
  {
    kind: 'postgres',
    unavailable: null,
    async prepare() {
      const schema = unique();
      const url = postgresUrl;
      return {
        // The demo creates the schema and its tables on start.
        env: { DATABASE_URL: `${url}?schema=${schema}` },
        async cleanup() {
          const admin = new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) });
          await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await admin.$disconnect();
        },
      };
    },
  },
  {
    kind: 'mysql',
    unavailable: null,
    async prepare() {
      const database = unique();
      const admin = new MysqlClient({ adapter: new PrismaMariaDb(mysqlUrl) });
      await admin.$executeRawUnsafe(`CREATE DATABASE \`${database}\``);
      const url = new URL(mysqlUrl);
      url.pathname = `/${database}`;
      return {
        env: { DATABASE_URL: url.href },
        async cleanup() {
          await admin.$executeRawUnsafe(`DROP DATABASE \`${database}\``);
          await admin.$disconnect();
        },
      };
    },
  },
  {
    kind: 'mongo',
    unavailable: null,
    // FerretDB (this run's own, from global setup) with a database of the run's own.
    prepare: async () => ({
      env: { MONGO_URL: `${inject('mongoUrl').replace(/\/$/, '')}/${unique()}` },
      cleanup: none,
    }),
  },
];

/** A secret for the tests' key ring (the demo refuses secrets under 32 bytes). */
export const TEST_SECRET = randomBytes(32).toString('base64url');
