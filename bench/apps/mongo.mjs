// Group "mongo": Express + a MongoDB-wire server (FerretDB here). Commands are counted by the driver's
// command monitoring on each contender's own client.
import { createSessions } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import { createMongoStore, ferretDbVersion } from '@coatcheck/store-mongo';
import { MongoStore } from 'connect-mongo';
import expressSession from 'express-session';
import { MongoClient } from 'mongodb';
import { countMongo } from '../counters.mjs';
import { listenExpress, newExpressApp, SECRET } from './common.mjs';
import { coatcheckExpressRoutes, expressSessionRoutes } from './routes.mjs';

/** store-mongo's README "one file for both": ask the server, then FerretDB v1's setup or the defaults. */
async function onFerretDbV1(url) {
  const probe = new MongoClient(url);
  try {
    return (await ferretDbVersion(probe.db()))?.startsWith('v1.') ?? false;
  } finally {
    await probe.close();
  }
}

export const contenders = {
  async 'express-session + connect-mongo'(config, counter) {
    const ferret = await onFerretDbV1(config.mongoUrl);
    // connect-mongo's README: a default client; FerretDB refuses TTL indexes, so sweep on an interval there.
    const client = new MongoClient(config.mongoUrl, { monitorCommands: true });
    countMongo(client, counter);
    const app = newExpressApp();
    app.use(
      expressSession({
        store: MongoStore.create({
          client,
          dbName: config.dbName,
          collectionName: 'connect_mongo_sessions',
          autoRemove: ferret ? 'interval' : 'native',
        }),
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { secure: false },
      }),
    );
    expressSessionRoutes(app);
    return listenExpress(app);
  },
  async 'coatcheck + store-mongo'(config, counter) {
    const ferret = await onFerretDbV1(config.mongoUrl);
    const client = new MongoClient(config.mongoUrl, {
      ...(ferret ? { maxPoolSize: 1 } : {}),
      monitorCommands: true,
    });
    countMongo(client, counter);
    const store = createMongoStore(client.db(config.dbName), {
      collectionName: 'coatcheck_sessions',
      expiry: ferret ? 'sweep' : 'native',
    });
    const sessions = createSessions({ store, secrets: [SECRET], cookie: { secure: false } });
    const app = newExpressApp();
    app.use(sessionMiddleware(sessions));
    coatcheckExpressRoutes(app);
    return listenExpress(app);
  },
};
