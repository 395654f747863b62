// Group "memory": Express with in-process stores. No store commands to count.
import { createSessions, MemoryStore } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import expressSession from 'express-session';
import { listenExpress, newExpressApp, SECRET } from './common.mjs';
import { bareExpressRoutes, coatcheckExpressRoutes, expressSessionRoutes } from './routes.mjs';

export const contenders = {
  async 'bare Express'() {
    const app = newExpressApp();
    bareExpressRoutes(app);
    return listenExpress(app);
  },
  async 'express-session + MemoryStore'() {
    const app = newExpressApp();
    // express-session's README settings; `secure: false` because the bench speaks plain http.
    app.use(
      expressSession({
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        store: new expressSession.MemoryStore(),
        cookie: { secure: false },
      }),
    );
    expressSessionRoutes(app);
    return listenExpress(app);
  },
  async 'coatcheck + MemoryStore'() {
    const app = newExpressApp();
    // The core README's example, with its documented opt-out of `Secure` for plain http.
    const sessions = createSessions({
      store: new MemoryStore(),
      secrets: [SECRET],
      cookie: { secure: false },
    });
    app.use(sessionMiddleware(sessions));
    coatcheckExpressRoutes(app);
    return listenExpress(app);
  },
};
