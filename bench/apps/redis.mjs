// Group "redis": Express + Redis, both contenders on ioredis (so the client library is the same), each
// client's commands counted where they are sent.
import { createSessions } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import { createRedisStore } from '@coatcheck/store-redis';
import RedisStore from 'connect-redis';
import expressSession from 'express-session';
import { Redis } from 'ioredis';
import { countIoredis } from '../counters.mjs';
import { listenExpress, newExpressApp, SECRET } from './common.mjs';
import { coatcheckExpressRoutes, expressSessionRoutes } from './routes.mjs';

/** An ioredis client as the store-redis README makes one, with its commands counted. */
export function redisClient(config, counter) {
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', (error) => console.error('redis:', error.message));
  countIoredis(client, counter);
  return client;
}

export const contenders = {
  async 'express-session + connect-redis'(config, counter) {
    const client = redisClient(config, counter);
    const app = newExpressApp();
    app.use(
      expressSession({
        store: new RedisStore({ client, prefix: `${config.prefix}cr:` }),
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { secure: false },
      }),
    );
    expressSessionRoutes(app);
    return listenExpress(app);
  },
  async 'coatcheck + store-redis'(config, counter) {
    const client = redisClient(config, counter);
    const store = createRedisStore(client, { prefix: `${config.prefix}cc:` });
    const sessions = createSessions({ store, secrets: [SECRET], cookie: { secure: false } });
    const app = newExpressApp();
    app.use(sessionMiddleware(sessions));
    coatcheckExpressRoutes(app);
    return listenExpress(app);
  },
};
