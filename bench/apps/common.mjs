// What every contender app shares: the secret, and listening on a free loopback port.
import express from 'express';

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
