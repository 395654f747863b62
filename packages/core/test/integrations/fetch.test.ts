import { afterEach, describe, expect, it } from 'vitest';
import { csrfToken, loadSession, requireCsrfToken, requireUser, withSession } from '../../src/fetch.js';
import type { Session } from '../../src/index.js';
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
  type SendInit,
  webRequest,
} from './harness.js';
import { runIntegrationScenarios } from './scenarios.js';

type Route = (request: Request, session: Session<CartData>) => Promise<Response> | Response;

/** The scenario app (see scenarios.ts) as one Fetch handler, the way Bun, Deno or a Worker would serve it. */
function buildFetchHandler({ sessions, options }: AppSetup) {
  const append = async (request: Request, session: Session<CartData>) => {
    const { item } = (await request.json()) as { item: string };
    session.update((data) => ({ ...data, cart: [...(data.cart ?? []), item] }));
  };
  const routes: Record<string, Route> = {
    'GET /cart': (_request, session) =>
      Response.json({ cart: session.get('cart') ?? [], userId: session.userId }),
    'POST /cart': async (request, session) => {
      await append(request, session);
      return Response.json({ count: session.get('cart')?.length });
    },
    'POST /cart-then-redirect': async (request, session) => {
      await append(request, session);
      return new Response(null, { status: 303, headers: { location: '/cart' } });
    },
    'POST /login': async (request, session) => {
      const { userId } = (await request.json()) as { userId: string };
      await session.login(userId);
      return Response.json({ userId: session.userId });
    },
    'POST /logout': async (_request, session) => {
      await session.destroy();
      return new Response(null, { status: 204 });
    },
    'GET /me': async (request, session) =>
      (await requireUser(request, session)) ?? Response.json({ userId: session.userId }),
    'GET /account': async (request, session) =>
      (await requireUser(request, session, { redirectTo: '/login' })) ??
      new Response(`account of ${session.userId}`),
    'GET /orders': async (request, session) =>
      (await requireUser(request, session, { redirectTo: loginWithNext })) ?? new Response('orders'),
    'GET /devices': async (request, session) =>
      (await requireUser(request, session, { verify: hasDevices(sessions) })) ?? new Response('devices'),
    'GET /form': (_request, session) => Response.json({ token: csrfToken(session) }),
    'POST /form': async (request, session) =>
      (await requireCsrfToken(request, session)) ?? Response.json({ ok: true }),
    'GET /welcome': (_request, session) => new Response(session.isNew ? 'Welcome' : 'Welcome back'),
    'GET /public': () => new Response('hello'),
    'GET /cached': (_request, session) => {
      if (session.isNew) session.set('flag', true);
      return Response.json(
        { cart: session.get('cart') ?? [] },
        { headers: { 'cache-control': 'public, max-age=60' } },
      );
    },
  };
  return withSession(
    sessions,
    options,
  )(async (request, session) => {
    const route = routes[`${request.method} ${new URL(request.url).pathname}`];
    return route ? route(request, session) : new Response('not found', { status: 404 });
  });
}

function fetchHarness(handler: (request: Request) => Promise<Response>): Harness {
  const origin = 'http://localhost';
  return {
    origin,
    send: async (path: string, init?: SendInit) =>
      replyFromResponse(await handler(webRequest(origin, path, init))),
    close: async () => {},
  };
}

runIntegrationScenarios('Fetch', async (setup) => fetchHarness(buildFetchHandler(setup)));

describe(`Fetch: integration details (Node ${process.versions.node})`, () => {
  let harness: Harness | undefined;
  afterEach(() => {
    harness = undefined;
  });

  it('passes extra handler arguments through (Next.js context, Worker env and ctx)', async () => {
    const sessions = createCartSessions();
    const handler = withSession(sessions)(
      async (_request, session, context: { params: Promise<{ id: string }> }) => {
        session.set('cart', [(await context.params).id]);
        return Response.json(session.get('cart'));
      },
    );
    const response = await handler(new Request('http://localhost/items/7'), {
      params: Promise.resolve({ id: '7' }),
    });
    expect(await response.json()).toEqual(['7']);
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });

  it('adds its headers to a response with immutable headers (Response.redirect)', async () => {
    const handler = withSession(createCartSessions())(async (_request, session) => {
      session.set('flag', true);
      return Response.redirect('http://localhost/next', 302);
    });
    const response = await handler(new Request('http://localhost/go', { method: 'POST' }));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://localhost/next');
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });

  it('gives middleware-style code the headers to add (loadSession + commit)', async () => {
    const sessions = createCartSessions();
    const first = await loadSession(sessions, new Request('http://localhost/'));
    if (!first.ok) throw new Error('expected a session');
    first.session.set('cart', ['apple']);
    const headers = await first.commit();
    const cookie = headers.getSetCookie()[0]?.split(';')[0] as string;
    expect(cookie).toMatch(/^__Host-coatcheck=/);
    expect(headers.get('cache-control')).toBe('no-store');

    const second = await loadSession(sessions, new Request('http://localhost/', { headers: { cookie } }));
    if (!second.ok) throw new Error('expected a session');
    expect(second.session.get('cart')).toEqual(['apple']);
    const own = new Headers({ 'cache-control': 'max-age=5', vary: 'Accept-Encoding' });
    expect(await second.commit(own)).toBe(own);
    expect(own.get('cache-control')).toBe('max-age=5');
    expect(own.get('vary')).toBe('Accept-Encoding, Cookie');

    const refused = await loadSession(
      sessions,
      new Request('http://localhost/', { method: 'POST', headers: { origin: 'https://evil.example' } }),
    );
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.response.status).toBe(403);
  });

  it('answers 503 from loadSession when the store is down, and throws STORE_ERROR from commit', async () => {
    const store = new FlakyStore();
    const sessions = createCartSessions(store);
    const handler = buildFetchHandler({ sessions, options: { onError: () => {} } });
    harness = fetchHarness(handler);
    const cookie = cookieFrom(await harness.send('/cart', { method: 'POST', json: { item: 'apple' } }));
    store.mode = 'down';
    const loaded = await loadSession(sessions, new Request('http://localhost/', { headers: { cookie } }), {
      onError: () => {},
    });
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.response.status).toBe(503);

    store.mode = 'writes-down';
    const again = await loadSession(sessions, new Request('http://localhost/', { headers: { cookie } }));
    if (!again.ok) throw new Error('reads still work');
    again.session.set('flag', true);
    await expect(again.commit()).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });

  it('uses the ip option for the client address', async () => {
    const sessions = createCartSessions();
    const handler = withSession(sessions, { ip: (request) => request.headers.get('cf-connecting-ip') })(
      async (_request, session) => {
        await session.login('ada');
        return Response.json(session.client);
      },
    );
    const response = await handler(
      new Request('http://localhost/login', {
        method: 'POST',
        headers: { 'cf-connecting-ip': '203.0.113.7', 'user-agent': 'TestBrowser/1' },
      }),
    );
    expect(await response.json()).toEqual({ ip: '203.0.113.7', userAgent: 'TestBrowser/1' });
  });
});
