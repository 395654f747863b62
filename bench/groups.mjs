// The seven groups: their contenders (first the bare framework when there is one, then the incumbent,
// then Coatcheck), the packages whose versions RESULTS.md lists, and the set-up and clean-up of the
// service each one needs. Every key, row and collection lives under the run's unique prefix/name.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { PORT_RANGES, startFerretDb } from '@coatcheck/test-utils';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Redis: INFO commandstats deltas (commands run inside Lua scripts included) and a SCAN + DEL clean-up. */
async function redisSetup(run) {
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    config: { redisUrl: REDIS_URL, prefix: run.prefix },
    service: `Redis ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]} at ${REDIS_URL}`,
    async serverCommands() {
      const stats = await admin.info('commandstats');
      let calls = 0;
      for (const [, name, count] of stats.matchAll(/cmdstat_([^:]+):calls=(\d+)/g))
        if (name !== 'info') calls += Number(count);
      return calls;
    },
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${run.prefix}*`, 'COUNT', 1000);
        if (keys.length) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await admin.quit();
    },
  };
}

export const GROUPS = {
  memory: {
    title: 'Express + memory store',
    bare: 'bare Express',
    incumbent: 'express-session + MemoryStore',
    contenders: ['bare Express', 'express-session + MemoryStore', 'coatcheck + MemoryStore'],
    packages: ['express', 'express-session', '@coatcheck/core'],
    setup: async () => ({ config: {}, service: 'none (in-process)', cleanup: async () => {} }),
  },
  redis: {
    title: 'Express + Redis',
    incumbent: 'express-session + connect-redis',
    contenders: ['express-session + connect-redis', 'coatcheck + store-redis'],
    packages: [
      'express',
      'express-session',
      'connect-redis',
      'ioredis',
      '@coatcheck/core',
      '@coatcheck/store-redis',
    ],
    setup: redisSetup,
  },
  mongo: {
    title: 'Express + MongoDB wire protocol (FerretDB unless MONGO_URL)',
    incumbent: 'express-session + connect-mongo',
    contenders: ['express-session + connect-mongo', 'coatcheck + store-mongo'],
    packages: [
      'express',
      'express-session',
      'connect-mongo',
      'mongodb',
      '@coatcheck/core',
      '@coatcheck/store-mongo',
    ],
    async setup(run) {
      // As the store's tests do: MONGO_URL, or a FerretDB v1.24.2 built and started by scripts/ferretdb.sh.
      const ferretDb = process.env.MONGO_URL ? null : await startFerretDb(PORT_RANGES.benchFerretDb);
      const mongoUrl = process.env.MONGO_URL ?? ferretDb.url;
      const dbName = `coatcheck_bench_${run.id}`;
      return {
        config: { mongoUrl, dbName },
        service: ferretDb
          ? 'FerretDB v1.24.2 (SQLite backend), started for the run'
          : `MONGO_URL ${mongoUrl}`,
        async cleanup() {
          const { MongoClient } = await import('mongodb');
          const client = new MongoClient(mongoUrl);
          await client
            .db(dbName)
            .dropDatabase()
            .catch(() => {});
          await client.close();
          await ferretDb?.stop();
        },
      };
    },
  },
  prisma: {
    title: 'Express + Prisma 7 on PostgreSQL',
    incumbent: 'express-session + prisma-session-store',
    contenders: ['express-session + prisma-session-store', 'coatcheck + store-prisma'],
    packages: [
      'express',
      'express-session',
      '@quixo3/prisma-session-store',
      '@prisma/client',
      '@prisma/adapter-pg',
      'pg',
      '@coatcheck/core',
      '@coatcheck/store-prisma',
    ],
    async setup(run) {
      const { benchPrismaClient, QUIXO3_TABLE_SQL } = await import('./prisma-client.mjs');
      const { applySchema } = await import('@coatcheck/store-prisma');
      const { PrismaPg } = await import('@prisma/adapter-pg');
      const prismaClient = await benchPrismaClient();
      const { PrismaClient } = await import(pathToFileURL(prismaClient).href);
      const pgSchema = `coatcheck_bench_${run.id}`;
      const admin = new PrismaClient({ adapter: new PrismaPg({ connectionString: POSTGRES_URL }) });
      await admin.$executeRawUnsafe(`CREATE SCHEMA "${pgSchema}"`);
      // No `prisma migrate` here (no schema engine): Coatcheck's shipped SQL, and the other store's table.
      const inSchema = new PrismaClient({
        adapter: new PrismaPg(
          { connectionString: POSTGRES_URL, options: `-c search_path="${pgSchema}"` },
          { schema: pgSchema },
        ),
      });
      await applySchema(inSchema, 'postgresql');
      await inSchema.$executeRawUnsafe(QUIXO3_TABLE_SQL);
      await inSchema.$disconnect();
      const [{ server_version: version }] = await admin.$queryRawUnsafe('SHOW server_version');
      return {
        config: { postgresUrl: POSTGRES_URL, pgSchema, prismaClient },
        service: `PostgreSQL ${version} at ${POSTGRES_URL}`,
        async cleanup() {
          await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
          await admin.$disconnect();
        },
      };
    },
  },
  'fastify-redis': {
    title: 'Fastify + Redis',
    bare: 'bare Fastify',
    incumbent: '@fastify/session + connect-redis',
    contenders: ['bare Fastify', '@fastify/session + connect-redis', 'coatcheck + store-redis'],
    packages: [
      'fastify',
      '@fastify/session',
      '@fastify/cookie',
      'connect-redis',
      'ioredis',
      '@coatcheck/core',
      '@coatcheck/store-redis',
    ],
    setup: redisSetup,
  },
  'fastify-memory': {
    title: 'Fastify + memory store',
    bare: 'bare Fastify',
    incumbent: '@fastify/session + MemoryStore',
    contenders: ['bare Fastify', '@fastify/session + MemoryStore', 'coatcheck + MemoryStore'],
    packages: ['fastify', '@fastify/session', '@fastify/cookie', '@coatcheck/core'],
    setup: async () => ({ config: {}, service: 'none (in-process)', cleanup: async () => {} }),
  },
  cookie: {
    title: 'Express, cookie-only sessions',
    incumbent: 'iron-session',
    contenders: ['iron-session', 'coatcheck cookieOnly'],
    packages: ['express', 'iron-session', '@coatcheck/core'],
    setup: async () => ({
      config: {},
      service: 'none (the session is in the cookie)',
      cleanup: async () => {},
    }),
  },
};

/** A run's unique names: `coatcheck-bench:<id>:` for Redis keys, `coatcheck_bench_<id>` for databases. */
export function newRunIds() {
  const id = randomBytes(5).toString('hex');
  return { id, prefix: `coatcheck-bench:${id}:` };
}
