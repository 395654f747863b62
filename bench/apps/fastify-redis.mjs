// Group "fastify-redis": Fastify 5 + Redis. @fastify/session takes express-session stores, so its store
// is connect-redis on ioredis, as in the Express group.
import { createSessions } from '@coatcheck/core';
import { sessionPlugin } from '@coatcheck/core/fastify';
import { createRedisStore } from '@coatcheck/store-redis';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import RedisStore from 'connect-redis';
import Fastify from 'fastify';
import { listenFastify, SECRET } from './common.mjs';
import { redisClient } from './redis.mjs';
import { bareFastifyRoutes, coatcheckFastifyRoutes, fastifySessionRoutes } from './routes.mjs';

export const contenders = {
  async 'bare Fastify'() {
    const app = Fastify();
    bareFastifyRoutes(app);
    return listenFastify(app);
  },
  async '@fastify/session + connect-redis'(config, counter) {
    const client = redisClient(config, counter);
    const app = Fastify();
    // @fastify/session's README: register @fastify/cookie first; `secure: false` for plain http.
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      store: new RedisStore({ client, prefix: `${config.prefix}fs:` }),
      saveUninitialized: false,
      cookie: { secure: false },
    });
    fastifySessionRoutes(app);
    return listenFastify(app);
  },
  async 'coatcheck + store-redis'(config, counter) {
    const client = redisClient(config, counter);
    const store = createRedisStore(client, { prefix: `${config.prefix}cf:` });
    const app = Fastify();
    await app.register(sessionPlugin, {
      sessions: createSessions({ store, secrets: [SECRET], cookie: { secure: false } }),
    });
    coatcheckFastifyRoutes(app);
    return listenFastify(app);
  },
};
