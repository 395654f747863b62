// What every contender app shares: the secret, listening on a free loopback port, and the two Express
// set-ups every group repeats with its own store.
import { createSessions } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import express from 'express';
import expressSession from 'express-session';
import { coatcheckExpressRoutes, expressSessionRoutes } from './routes.mjs';

// ≥ 32 bytes, as every library here asks (Coatcheck, express-session, @fastify/session, iron-session).
export const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** A new Express 5 app, as each README starts one. */
export function newExpressApp() {
  const app = express();
  app.disable('x-powered-by');
  return app;
}

export function listenExpress(app) {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error) => {
      if (error) reject(error);
      else resolve({ port: server.address().port, close: () => server.close() });
    });
  });
}

export async function listenFastify(app) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: app.server.address().port, close: () => app.close() };
}

/**
 * express-session over `store` with its README's settings (`resave: false, saveUninitialized: false`),
 * `secure: false` because the bench speaks plain http; `cookie` adds what a store's README asks for.
 */
export function expressSessionApp(store, cookie = {}) {
  const app = newExpressApp();
  app.use(
    expressSession({
      store,
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { secure: false, ...cookie },
    }),
  );
  expressSessionRoutes(app);
  return listenExpress(app);
}

/**
 * Coatcheck's Express middleware as the core README shows it, with its documented opt-out of `Secure` for
 * plain http; `options` names the store (or `cookieOnly: true`).
 */
export function coatcheckExpressApp(options) {
  const app = newExpressApp();
  const sessions = createSessions({ secrets: [SECRET], cookie: { secure: false }, ...options });
  app.use(sessionMiddleware(sessions));
  coatcheckExpressRoutes(app);
  return listenExpress(app);
}
