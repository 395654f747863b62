// Group "cookie": Express with the whole session sealed in the cookie; no store at all.
import { createSessions } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import { getIronSession } from 'iron-session';
import { listenExpress, newExpressApp, SECRET } from './common.mjs';
import { coatcheckExpressRoutes, ironSessionRoutes } from './routes.mjs';

export const contenders = {
  async 'iron-session'() {
    const app = newExpressApp();
    // iron-session's README: a ≥ 32-character password and a cookie name; `secure: false` for plain http.
    ironSessionRoutes(
      app,
      { password: SECRET, cookieName: 'iron', cookieOptions: { secure: false } },
      getIronSession,
    );
    return listenExpress(app);
  },
  async 'coatcheck cookieOnly'() {
    const app = newExpressApp();
    // The core README's cookie-only mode, without a revocation store (its minimal form).
    const sessions = createSessions({ cookieOnly: true, secrets: [SECRET], cookie: { secure: false } });
    app.use(sessionMiddleware(sessions));
    coatcheckExpressRoutes(app);
    return listenExpress(app);
  },
};
