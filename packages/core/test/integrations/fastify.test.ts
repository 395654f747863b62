import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { csrfToken, requireCsrfToken, requireUser, sessionPlugin } from '../../src/fastify.js';
import { createSessions, MemoryStore } from '../../src/index.js';
import {
  type AppSetup,
  cookieFrom,
  createCartSessions,
  FlakyStore,
  type Harness,
  hasDevices,
  loginWithNext,
  replyFromNode,
  SECRET,
  type SendInit,
} from './harness.js';
import { runIntegrationScenarios } from './scenarios.js';

declare module '../../src/fastify.js' {
  interface SessionData {
    cart: string[];
    flag?: boolean;
  }
}

/** The scenario app (see scenarios.ts) in Fastify. */
async function buildFastifyApp({ sessions, options }: AppSetup, extend?: (app: FastifyInstance) => void) {
  const app = Fastify();
  // HTML forms: Fastify parses JSON only; @fastify/formbody does this in a real app.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  await app.register(sessionPlugin, { sessions, ...options });

  app.get('/cart', async (request) => ({
    cart: request.session.get('cart') ?? [],
    userId: request.session.userId,
  }));
  app.post<{ Body: { item: string } }>('/cart', async (request) => {
    request.session.update((data) => ({ ...data, cart: [...(data.cart ?? []), request.body.item] }));
    return { count: request.session.get('cart')?.length };
  });
  app.post<{ Body: { item: string } }>('/cart-then-redirect', async (request, reply) => {
    request.session.update((data) => ({ ...data, cart: [...(data.cart ?? []), request.body.item] }));
    return reply.redirect('/cart', 303);
  });
  app.post<{ Body: { userId: string } }>('/login', async (request) => {
    await request.session.login(request.body.userId);
    return { userId: request.session.userId };
  });
  app.post('/logout', async (request, reply) => {
    await request.session.destroy();
    return reply.code(204).send();
  });
  app.get('/me', { preHandler: requireUser() }, async (request) => ({ userId: request.session.userId }));
  app.get(
    '/account',
    { preHandler: requireUser({ redirectTo: '/login' }) },
    async (request) => `account of ${request.session.userId}`,
  );
  app.get('/orders', { preHandler: requireUser({ redirectTo: loginWithNext }) }, async () => 'orders');
  app.get('/devices', { preHandler: requireUser({ verify: hasDevices(sessions) }) }, async () => 'devices');
  app.get('/form', async (request) => ({ token: csrfToken(request.session) }));
  app.post('/form', { preHandler: requireCsrfToken() }, async () => ({ ok: true }));
  app.get('/welcome', async (request) => (request.session.isNew ? 'Welcome' : 'Welcome back'));
  app.get('/public', async () => 'hello');
  app.get('/cached', async (request, reply) => {
    if (request.session.isNew) request.session.set('flag', true);
    reply.header('cache-control', 'public, max-age=60');
    return { cart: request.session.get('cart') ?? [] };
  });
  extend?.(app);
  await app.ready();
  return app;
}

/** Sends requests with `fastify.inject` (the app's own origin is then `http://localhost`). */
function injectHarness(app: FastifyInstance): Harness {
  return {
    origin: 'http://localhost',
    async send(path: string, init: SendInit = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.cookie) headers.cookie = init.cookie;
      let payload: string | undefined;
      if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(init.json);
      } else if (init.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(init.form).toString();
      }
      const method = (init.method ?? 'GET') as 'GET' | 'POST';
      const response = await app.inject({ method, url: path, headers, payload });
      return replyFromNode(response.statusCode, response.headers, response.body);
    },
    close: () => app.close(),
  };
}

runIntegrationScenarios('Fastify', async (setup) => injectHarness(await buildFastifyApp(setup)));

describe('Fastify: integration details', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('saves before a streamed payload is sent', async () => {
    const store = new FlakyStore();
    const app = await buildFastifyApp(
      { sessions: createCartSessions(store), options: { onError: () => {} } },
      (app) => {
        app.get('/stream', async (request, reply) => {
          request.session.set('flag', true);
          return reply.type('text/plain').send(Readable.from(['a', 'b', 'c']));
        });
      },
    );
    harness = injectHarness(app);
    const reply = await harness.send('/stream');
    expect(reply.text).toBe('abc');
    const cookie = cookieFrom(reply);
    expect((await harness.send('/cart', { cookie })).status).toBe(200);

    store.mode = 'writes-down';
    const failed = await harness.send('/stream', { cookie });
    expect(failed.status).toBe(503);
    expect(failed.json()).toEqual({ error: 'Session store unavailable, try again later' });
  });

  it('gives every route of the instance the session, encapsulated plugins included', async () => {
    const app = await buildFastifyApp({ sessions: createCartSessions(), options: {} }, (app) => {
      app.register(async (child) => {
        child.get('/child', async (request) => ({ hasSession: request.session !== null }));
      });
    });
    harness = injectHarness(app);
    expect((await harness.send('/child')).json()).toEqual({ hasSession: true });
  });

  it('uses Fastify’s trustProxy for the request’s own origin and ip', async () => {
    const store = new MemoryStore();
    const app = Fastify({ trustProxy: true });
    await app.register(sessionPlugin, { sessions: createSessions({ store, secrets: [SECRET] }) });
    app.post('/login', async (request) => {
      await request.session.login('ada');
      return request.session.client;
    });
    harness = injectHarness(app);
    const reply = await harness.send('/login', {
      method: 'POST',
      headers: {
        origin: 'https://shop.example',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'shop.example',
        'x-forwarded-for': '203.0.113.7',
        'user-agent': 'TestBrowser/1',
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ ip: '203.0.113.7', userAgent: 'TestBrowser/1' });
  });

  it('refuses a plugin registration without a session manager', async () => {
    const app = Fastify();
    // @ts-expect-error sessions is required
    app.register(sessionPlugin, {});
    await expect(app.ready()).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await app.close();
  });
});
