// Group "fastify-memory": Fastify 5 with in-process stores, so the bare-framework ratio measures the
// session layer alone. @fastify/session's default store is its in-memory one.
import { createSessions, MemoryStore } from '@coatcheck/core';
import { sessionPlugin } from '@coatcheck/core/fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { listenFastify, SECRET } from './common.mjs';
import { bareFastifyRoutes, coatcheckFastifyRoutes, fastifySessionRoutes } from './routes.mjs';

export const contenders = {
  async 'bare Fastify'() {
    const app = Fastify();
    bareFastifyRoutes(app);
    return listenFastify(app);
  },
  async '@fastify/session + MemoryStore'() {
    const app = Fastify();
    // @fastify/session's README: register @fastify/cookie first; `secure: false` for plain http.
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      saveUninitialized: false,
      cookie: { secure: false },
    });
    fastifySessionRoutes(app);
    return listenFastify(app);
  },
  async 'coatcheck + MemoryStore'() {
    const app = Fastify();
    await app.register(sessionPlugin, {
      sessions: createSessions({ store: new MemoryStore(), secrets: [SECRET], cookie: { secure: false } }),
    });
    coatcheckFastifyRoutes(app);
    return listenFastify(app);
  },
};
