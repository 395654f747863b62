import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  csrfToken,
  requireCsrfToken,
  requireUser,
  type SessionEnv,
  sessionMiddleware,
} from '../../src/hono.js';
import { createSessions, MemoryStore, type Sessions } from '../../src/index.js';
import {
  type AppSetup,
  type CartData,
  cookieFrom,
  createCartSessions,
  FlakyStore,
  type Harness,
  hasDevices,
  loginWithNext,
  replyFromResponse,
  SECRET,
  type SendInit,
  webRequest,
} from './harness.js';
import { runIntegrationScenarios } from './scenarios.js';

/** The scenario app (see scenarios.ts) in Hono. */
function buildHonoApp({ sessions, options }: AppSetup) {
  const app = new Hono().use(sessionMiddleware(sessions, options));
  app.get('/cart', (c) =>
    c.json({ cart: c.get('session').get('cart') ?? [], userId: c.get('session').userId }),
  );
  app.post('/cart', async (c) => {
    const { item } = await c.req.json<{ item: string }>();
    const session = c.get('session');
    session.update((data) => ({ ...data, cart: [...(data.cart ?? []), item] }));
    return c.json({ count: session.get('cart')?.length });
  });
  app.post('/cart-then-redirect', async (c) => {
    const { item } = await c.req.json<{ item: string }>();
    c.get('session').update((data) => ({ ...data, cart: [...(data.cart ?? []), item] }));
    return c.redirect('/cart', 303);
  });
  app.post('/login', async (c) => {
    const { userId } = await c.req.json<{ userId: string }>();
    await c.get('session').login(userId);
    return c.json({ userId: c.get('session').userId });
  });
  app.post('/logout', async (c) => {
    await c.get('session').destroy();
    return c.body(null, 204);
  });
  app.get('/me', requireUser(), (c) => c.json({ userId: c.get('session').userId }));
  app.get('/account', requireUser({ redirectTo: '/login' }), (c) =>
    c.text(`account of ${c.get('session').userId}`),
  );
  app.get('/orders', requireUser({ redirectTo: loginWithNext }), (c) => c.text('orders'));
  app.get('/devices', requireUser({ verify: hasDevices(sessions) }), (c) => c.text('devices'));
  app.get('/form', (c) => c.json({ token: csrfToken(c.get('session')) }));
  app.post('/form', requireCsrfToken(), (c) => c.json({ ok: true }));
  app.get('/welcome', (c) => c.text(c.get('session').isNew ? 'Welcome' : 'Welcome back'));
  app.get('/public', (c) => c.text('hello'));
  app.get('/cached', (c) => {
    const session = c.get('session');
    if (session.isNew) session.set('flag', true);
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ cart: session.get('cart') ?? [] });
  });
  return app;
}

/** Sends requests with `app.request` (the app's own origin is then `http://localhost`). */
function requestHarness(app: { request(request: Request): Response | Promise<Response> }): Harness {
  const origin = 'http://localhost';
  return {
    origin,
    send: async (path: string, init?: SendInit) =>
      replyFromResponse(await app.request(webRequest(origin, path, init))),
    close: async () => {},
  };
}

runIntegrationScenarios('Hono', async (setup) => requestHarness(buildHonoApp(setup)));

describe('Hono: integration details', () => {
  let harness: Harness | undefined;
  afterEach(() => {
    harness = undefined;
  });

  it('types c.get("session") from the manager, with no declaration to write', () => {
    const sessions: Sessions<CartData> = createCartSessions();
    const app = new Hono().use(sessionMiddleware(sessions));
    app.get('/', (c) => {
      // Checked by the type-check step (tsc), which runs over the tests.
      expectTypeOf(c.get('session').get('cart')).toEqualTypeOf<string[] | undefined>();
      // @ts-expect-error not a key of CartData
      c.get('session').get('nope');
      return c.json([]);
    });
    expectTypeOf(new Hono<SessionEnv<CartData>>().use(sessionMiddleware(sessions))).not.toBeAny();
  });

  it('saves before a streamed response is returned, and answers 503 when that fails', async () => {
    const store = new FlakyStore();
    const app = new Hono().use(sessionMiddleware(createCartSessions(store), { onError: () => {} }));
    app.get('/stream', (c) => {
      c.get('session').set('flag', true);
      return stream(c, async (body) => {
        await body.write('a');
        await body.write('b');
      });
    });
    harness = requestHarness(app);
    const reply = await harness.send('/stream');
    expect(reply.text).toBe('ab');
    const cookie = cookieFrom(reply);
    store.mode = 'writes-down';
    const failed = await harness.send('/stream', { cookie });
    expect(failed.status).toBe(503);
    expect(failed.json()).toEqual({ error: 'Session store unavailable, try again later' });
  });

  it('adds its headers to a response with immutable headers', async () => {
    const app = new Hono().use(sessionMiddleware(createCartSessions()));
    app.post('/go', (c) => {
      c.get('session').set('flag', true);
      return Response.redirect('http://localhost/next', 302);
    });
    harness = requestHarness(app);
    const reply = await harness.send('/go', { method: 'POST' });
    expect(reply.status).toBe(302);
    expect(reply.headers.get('location')).toBe('http://localhost/next');
    expect(reply.setCookies).toHaveLength(1);
  });

  it('records the ip from the ip option and trusts forwarded headers only with trustProxy', async () => {
    for (const trustProxy of [true, false]) {
      const store = new MemoryStore();
      const sessions = createSessions({ store, secrets: [SECRET] });
      const app = new Hono().use(
        sessionMiddleware(sessions, { trustProxy, ip: (c) => c.req.header('x-real-ip') }),
      );
      app.post('/login', async (c) => {
        await c.get('session').login('ada');
        return c.json(c.get('session').client);
      });
      const reply = await requestHarness(app).send('/login', {
        method: 'POST',
        headers: {
          origin: 'https://shop.example',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'shop.example',
          'x-real-ip': '203.0.113.7',
          'user-agent': 'TestBrowser/1',
        },
      });
      expect(reply.status).toBe(trustProxy ? 200 : 403);
      if (trustProxy) expect(reply.json()).toEqual({ ip: '203.0.113.7', userAgent: 'TestBrowser/1' });
    }
  });

  it('leaves the form body readable by the handler after checking its token', async () => {
    const app = new Hono().use(sessionMiddleware(createCartSessions()));
    app.get('/form', (c) => c.json({ token: csrfToken(c.get('session')) }));
    app.post('/form', requireCsrfToken(), async (c) => c.json(await c.req.parseBody()));
    harness = requestHarness(app);
    const issued = await harness.send('/form');
    const { token } = issued.json() as { token: string };
    const reply = await harness.send('/form', {
      method: 'POST',
      cookie: cookieFrom(issued),
      form: { _csrf: token, comment: 'hi' },
    });
    expect(reply.json()).toEqual({ _csrf: token, comment: 'hi' });
  });
});
