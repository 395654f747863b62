import { createMongoStore, ferretDbVersion } from '@coatcheck/store-mongo';
import { MongoStore } from 'connect-mongo';
import { MongoClient } from 'mongodb';
import { countMongo } from '../counters.mjs';
import { coatcheckExpressApp, expressSessionApp } from './common.mjs';

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
    return expressSessionApp(
      MongoStore.create({
        client,
        dbName: config.dbName,
        collectionName: 'connect_mongo_sessions',
        autoRemove: ferret ? 'interval' : 'native',
      }),
    );
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
    return coatcheckExpressApp({ store });
  },
};
