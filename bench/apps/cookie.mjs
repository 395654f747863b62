import { getIronSession } from 'iron-session';
import { coatcheckExpressApp, listenExpress, newExpressApp, SECRET } from './common.mjs';
import { ironSessionRoutes } from './routes.mjs';

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
    // The core README's cookie-only mode, without a revocation store (its minimal form).
    return coatcheckExpressApp({ cookieOnly: true });
  },
};
