import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import supertest from 'supertest';
import { csrfToken, requireCsrfToken, requireUser, sessionMiddleware } from '../../src/express.js';
import {
  type AppSetup,
  type Harness,
  hasDevices,
  loginWithNext,
  replyFromNode,
  type SendInit,
} from './harness.js';

declare module '../../src/express.js' {
  interface SessionData {
    cart: string[];
    flag?: boolean;
  }
}

/** The scenario app (see scenarios.ts) in Express, 4 or 5 alike. */
export function buildExpressApp(createApp: typeof express, { sessions, options }: AppSetup): express.Express {
  const app = createApp();
  app.use(sessionMiddleware(sessions, options));
  app.use(createApp.json(), createApp.urlencoded({ extended: false }));

  app.get('/cart', (req, res) => {
    res.json({ cart: req.session.get('cart') ?? [], userId: req.session.userId });
  });
  app.post('/cart', (req, res) => {
    req.session.update((data) => ({ ...data, cart: [...(data.cart ?? []), req.body.item] }));
    res.json({ count: req.session.get('cart')?.length });
  });
  app.post('/cart-then-redirect', (req, res) => {
    req.session.update((data) => ({ ...data, cart: [...(data.cart ?? []), req.body.item] }));
    res.redirect(303, '/cart');
  });
  app.post('/login', async (req, res) => {
    await req.session.login(req.body.userId);
    res.json({ userId: req.session.userId });
  });
  app.post('/logout', async (req, res) => {
    await req.session.destroy();
    res.status(204).end();
  });
  app.get('/me', requireUser(), (req, res) => {
    res.json({ userId: req.session.userId });
  });
  app.get('/account', requireUser({ redirectTo: '/login' }), (req, res) => {
    res.send(`account of ${req.session.userId}`);
  });
  app.get('/orders', requireUser({ redirectTo: loginWithNext }), (_req, res) => {
    res.send('orders');
  });
  app.get('/devices', requireUser({ verify: hasDevices(sessions) }), (_req, res) => {
    res.send('devices');
  });
  app.get('/form', (req, res) => {
    res.json({ token: csrfToken(req.session) });
  });
  app.post('/form', requireCsrfToken(), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/welcome', (req, res) => {
    res.send(req.session.isNew ? 'Welcome' : 'Welcome back');
  });
  app.get('/public', (_req, res) => {
    res.send('hello');
  });
  app.get('/cached', (req, res) => {
    if (req.session.isNew) req.session.set('flag', true);
    res.set('Cache-Control', 'public, max-age=60').json({ cart: req.session.get('cart') ?? [] });
  });
  return app;
}

/** Serves an Express app on a loopback port and sends it requests with supertest. */
export async function serveExpress(app: (req: never, res: never) => void): Promise<Harness> {
  const server = createServer(app as Parameters<typeof createServer>[0] & object);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = supertest(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    async send(path: string, init: SendInit = {}) {
      const method = (init.method ?? 'GET').toLowerCase() as 'get' | 'post';
      let test = agent[method](path);
      for (const [name, value] of Object.entries(init.headers ?? {})) test = test.set(name, value);
      if (init.cookie) test = test.set('Cookie', init.cookie);
      if (init.json !== undefined) test = test.send(init.json as object);
      else if (init.form) test = test.type('form').send(init.form);
      const response = await test;
      return replyFromNode(response.status, response.headers, response.text);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
