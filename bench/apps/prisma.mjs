// Group "prisma": Express + Prisma 7 on PostgreSQL, one generated client holding both contenders' models
// (bench/prisma-client.mjs), each contender with its own pg pool whose queries are counted.
import { pathToFileURL } from 'node:url';
import { createSessions } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import { createPrismaStore } from '@coatcheck/store-prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaSessionStore } from '@quixo3/prisma-session-store';
import expressSession from 'express-session';
import pg from 'pg';
import { countPg } from '../counters.mjs';
import { listenExpress, newExpressApp, SECRET } from './common.mjs';
import { coatcheckExpressRoutes, expressSessionRoutes } from './routes.mjs';

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
    const app = newExpressApp();
    // @quixo3/prisma-session-store's README options.
    app.use(
      expressSession({
        store: new PrismaSessionStore(prisma, {
          checkPeriod: 2 * 60 * 1000,
          dbRecordIdIsSessionId: true,
          dbRecordIdFunction: undefined,
        }),
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { secure: false, maxAge: 7 * 24 * 60 * 60 * 1000 },
      }),
    );
    expressSessionRoutes(app);
    return listenExpress(app);
  },
  async 'coatcheck + store-prisma'(config, counter) {
    const prisma = await prismaClient(config, counter);
    // The model is renamed in the bench's schema (the other store owns `Session`), as the README allows.
    const store = createPrismaStore(prisma, { model: 'coatcheckSession' });
    const sessions = createSessions({ store, secrets: [SECRET], cookie: { secure: false } });
    const app = newExpressApp();
    app.use(sessionMiddleware(sessions));
    coatcheckExpressRoutes(app);
    return listenExpress(app);
  },
};
