// Group "prisma": Express + Prisma 7 on PostgreSQL, one generated client holding both contenders' models
// (bench/prisma-client.mjs), each contender with its own pg pool whose queries are counted.
import { pathToFileURL } from 'node:url';
import { createPrismaStore } from '@coatcheck/store-prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaSessionStore } from '@quixo3/prisma-session-store';
import pg from 'pg';
import { countPg } from '../counters.mjs';
import { coatcheckExpressApp, expressSessionApp } from './common.mjs';

async function prismaClient(config, counter) {
  const { PrismaClient } = await import(pathToFileURL(config.prismaClient).href);
  const pool = new pg.Pool({
    connectionString: config.postgresUrl,
    options: `-c search_path="${config.pgSchema}"`,
  });
  countPg(pool, counter);
  return new PrismaClient({ adapter: new PrismaPg(pool, { schema: config.pgSchema }) });
}

export const contenders = {
  async 'express-session + prisma-session-store'(config, counter) {
    const prisma = await prismaClient(config, counter);
    // @quixo3/prisma-session-store's README options.
    const store = new PrismaSessionStore(prisma, {
      checkPeriod: 2 * 60 * 1000,
      dbRecordIdIsSessionId: true,
      dbRecordIdFunction: undefined,
    });
    return expressSessionApp(store, { maxAge: 7 * 24 * 60 * 60 * 1000 });
  },
  async 'coatcheck + store-prisma'(config, counter) {
    const prisma = await prismaClient(config, counter);
    // The model is renamed in the bench's schema (the other store owns `Session`), as the README allows.
    return coatcheckExpressApp({ store: createPrismaStore(prisma, { model: 'coatcheckSession' }) });
  },
};
