import { mkdir } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { MemoryStore, type SessionStore } from '@coatcheck/core';
import type { PrismaAuditLog } from '@coatcheck/store-prisma';
import type { DemoConfig } from './config.js';

/** The session store `SESSION_STORE` chose, opened and ready. */
export interface OpenedStore {
  /** `undefined` for `SESSION_STORE=cookie`: the session lives sealed in the cookie. */
  store: SessionStore | undefined;
  /** Where sessions live, for the page footer (no credentials). */
  label: string;
  /** The SQL stores also keep an audit trail of session events. */
  auditLog?: PrismaAuditLog;
  /** Closes the client this module opened (`sessions.close()` stops the store itself). */
  close(): Promise<void>;
}

/** A store's server could not be reached at start-up; the message says which and how to fix it. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * Opens the store of `config.store`. Each client library is imported only when its store is chosen, so
 * the default store needs no server and loads no Redis, MongoDB or PostgreSQL driver.
 */
export async function openStore(config: DemoConfig): Promise<OpenedStore> {
  switch (config.store) {
    case 'cookie':
      return {
        store: undefined,
        label: 'the cookie itself (sealed, nothing on the server)',
        close: async () => {},
      };
    case 'memory': {
      const store = new MemoryStore();
      return { store, label: 'memory (gone when the demo restarts)', close: async () => {} };
    }
    case 'sqlite':
      return openPrisma(config, 'sqlite');
    case 'postgres':
      return openPrisma(config, 'postgresql');
    case 'mysql':
      return openPrisma(config, 'mysql');
    case 'redis':
    case 'redis-cluster':
      return openRedis(config);
    case 'mongo':
      return openMongo(config);
  }
}

async function openRedis(config: DemoConfig): Promise<OpenedStore> {
  const { Redis, Cluster } = await import('ioredis');
  const { createRedisStore } = await import('@coatcheck/store-redis');
  const urls = config.redisUrl.split(',').map((url) => url.trim());
  // While Redis is unreachable, fail a request at once (a 503) instead of queueing it until Redis is back:
  // one reconnection attempt per command, and no offline queue for the Cluster (its queue has no limit).
  const client =
    config.store === 'redis-cluster'
      ? new Cluster(
          urls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port || 6379) })),
          { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } },
        )
      : new Redis(urls[0] as string, { maxRetriesPerRequest: 1 });
  const label = `${config.store === 'redis-cluster' ? 'Redis Cluster' : 'Redis'} at ${urls.map(hostOf).join(', ')}`;
  try {
    // Without an offline queue, commands sent before 'ready' are refused: wait for it before serving.
    await new Promise((ready, fail) => client.once('ready', ready).once('error', fail));
  } catch (error) {
    client.disconnect();
    throw unreachable(label, error);
  }
  client.on('error', (error: Error) => console.error(`${label}: ${error.message}`));
  return {
    store: createRedisStore(client, { prefix: config.redisPrefix }),
    label,
    close: async () => void (await client.quit()),
  };
}

async function openMongo(config: DemoConfig): Promise<OpenedStore> {
  const { MongoClient } = await import('mongodb');
  const { createMongoStore, ferretDbVersion } = await import('@coatcheck/store-mongo');
  const connect = async (options: { maxPoolSize?: number }) => {
    const client = new MongoClient(config.mongoUrl, { serverSelectionTimeoutMS: 5000, ...options });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.close();
      throw unreachable(`MongoDB at ${hostOf(config.mongoUrl)}`, error);
    }
  };
  let client = await connect({});
  // FerretDB v1 applies a filtered update by reading and writing back, so writes to one session on two
  // pooled connections can undo each other (a touch can undo a save): give it a single connection.
  const ferretDb = await ferretDbVersion(client.db()).catch(() => null);
  const oneConnection = ferretDb?.startsWith('v1.') ?? false;
  if (oneConnection) {
    await client.close();
    client = await connect({ maxPoolSize: 1 });
  }
  const server = ferretDb ? `FerretDB ${ferretDb}` : 'MongoDB';
  // MongoDB deletes expired sessions itself with a TTL index ('native', the default); FerretDB refuses TTL
  // indexes, so there the store sweeps them ('sweep').
  const store = createMongoStore(client.db(), { expiry: ferretDb ? 'sweep' : 'native' });
  return {
    store,
    label: `${server} at ${hostOf(config.mongoUrl)}${oneConnection ? ' (one connection)' : ''}`,
    close: () => client.close(),
  };
}

type Provider = 'sqlite' | 'postgresql' | 'mysql';

/**
 * A Prisma client generated from the models @coatcheck/store-prisma ships (`generated/<provider>`, by
 * `scripts/generate-prisma-clients.mjs`), on the provider's driver adapter.
 */
async function openPrisma(config: DemoConfig, provider: Provider): Promise<OpenedStore> {
  const { applySchema, createPrismaAuditLog, createPrismaStore } = await import('@coatcheck/store-prisma');
  const { prisma, label, schema } = await prismaClient(config, provider);
  try {
    // `schema` is a plain name (readConfig checked it), so it can stand in SQL.
    if (schema) await prisma.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    // The tables of the models the store ships (`CREATE TABLE IF NOT EXISTS …`), audit trail included.
    await applySchema(prisma, provider, { auditLog: true });
  } catch (error) {
    await prisma.$disconnect();
    throw unreachable(label, error);
  }
  // Deletes expired rows every 10 minutes (`expiry: 'sweep'`, the default): SQL has no expiry of its own.
  const store = createPrismaStore(prisma, { sweepIntervalSeconds: 600 });
  return {
    store,
    label,
    auditLog: createPrismaAuditLog(prisma),
    close: () => prisma.$disconnect(),
  };
}

async function prismaClient(config: DemoConfig, provider: Provider) {
  if (provider === 'sqlite') {
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
    const { PrismaClient } = await import('../generated/sqlite/client/client.js');
    await mkdir(dirname(config.sqliteFile), { recursive: true });
    const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: config.sqliteFile }) });
    const shortPath = relative(process.cwd(), config.sqliteFile);
    const label = `SQLite in ${shortPath.startsWith('..') ? config.sqliteFile : shortPath}`;
    return { prisma, label, schema: undefined };
  }
  if (provider === 'postgresql') {
    const { PrismaPg } = await import('@prisma/adapter-pg');
    const { PrismaClient } = await import('../generated/postgresql/client/client.js');
    // `?schema=name` picks the schema, as in Prisma's own URLs; the search path makes the shipped SQL
    // (unqualified table names) land there too.
    const url = new URL(config.databaseUrl);
    const schema = config.postgresSchema;
    url.searchParams.delete('schema');
    const adapter = new PrismaPg(
      { connectionString: url.href, options: `-c search_path="${schema}"` },
      { schema },
    );
    return {
      prisma: new PrismaClient({ adapter }),
      label: `PostgreSQL at ${hostOf(config.databaseUrl)}`,
      schema: schema === 'public' ? undefined : schema,
    };
  }
  const { PrismaMariaDb } = await import('@prisma/adapter-mariadb');
  const { PrismaClient } = await import('../generated/mysql/client/client.js');
  return {
    prisma: new PrismaClient({ adapter: new PrismaMariaDb(config.databaseUrl) }),
    label: `MySQL at ${hostOf(config.databaseUrl)}`,
    schema: undefined,
  };
}

function unreachable(label: string, error: unknown): StoreUnavailableError {
  // Prisma's messages open with the call that failed; the last line says why.
  const reason = (error instanceof Error ? error.message : String(error)).trim().split('\n').at(-1);
  return new StoreUnavailableError(
    `Could not open the session store (${label}): ${reason}\n` +
      'Start that server, point the URL variable at it (REDIS_URL, DATABASE_URL, MONGO_URL), or pick ' +
      'another SESSION_STORE.',
  );
}

/** `host:port` of a URL, without credentials. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
